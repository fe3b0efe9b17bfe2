package io.sscmic.gateway.inbound;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;

/** Two nodes of one mesh (and a stranger) as key schedules, for handshake tests without sockets. */
final class HandshakePair {
  static final byte[] MESH = seed(1);
  static final byte[] OTHER_MESH = seed(2);
  static final long EPOCH = 1_000;
  static final SecureRandom RANDOM = new SecureRandom();

  private HandshakePair() {
  }

  static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  /** A schedule of the mesh whose genesis key is {@code seed}, at {@code epoch}. */
  static KeySchedule at(byte[] seed, long epoch) {
    KeySchedule s = new KeySchedule();
    s.install(KeyState.at(0, seed, epoch));
    return s;
  }

  static ServerHandshake server(KeySchedule schedule, HelloReplayCache replays, String... services) {
    return new ServerHandshake(schedule, replays, Set.of(services), AeadProvider.JDK, RANDOM);
  }

  static CipherSuite suite() {
    return CipherSuite.AES_256_GCM;
  }
}
