package io.sscmic.gateway.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.sscmic.gateway.cipher.AeadAuthenticationException;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.gateway.handshake.Established;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.Initiator;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.ReplayFilter;
import io.sscmic.gateway.handshake.Responder;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.handshake.V2Kdf;
import io.sscmic.gateway.handshake.Wire;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Invariant 10 / issue 15's first security test: given every chain key of a run, a recorded v2
 * connection cannot be decrypted. The attacker has the whole capture (INIT, RESP, FINISH and every
 * DATA record, so every transcript hash) and every chain key, and tries every derivation that does
 * not need the ephemeral DH secret; the same opening routine does open a record given the real
 * connection secret, so the failure is the missing DH, not a broken harness.
 */
class RecordedConnectionTest {
  static {
    LeakWatch.install();
  }

  private static final TestIdentities MESH = new TestIdentities("recording");
  private static final LocalIdentity ALPHA = MESH.node("alpha");
  private static final LocalIdentity BETA = MESH.node("beta");
  private static final long N = TestIdentities.EPOCH;

  /** Opens a record with a candidate key and iv for sequence numbers 0..15; true if any opens. */
  static boolean opens(byte[] record, CipherSuite suite, byte[] key, byte[] iv) {
    for (long seq = 0; seq < 16; seq++) {
      byte[] nonce = new byte[12];
      RecordKeys.nonce(iv, seq, nonce);
      byte[] out = new byte[record.length];
      try {
        AeadProvider.JDK.create(suite, key).open(nonce, record, 0, Wire.HEADER_LENGTH, record, Wire.HEADER_LENGTH,
            record.length - Wire.HEADER_LENGTH, out, 0);
        return true;
      } catch (AeadAuthenticationException e) {
        // expected for a wrong key
      }
    }
    return false;
  }

  @Test
  void theOpeningRoutineOpensARecordGivenTheRealConnectionSecret() throws Exception {
    KeySchedule schedule = MESH.schedule(N);
    HandshakeSettings client = MESH.settings(ALPHA, schedule);
    HandshakeSettings server = MESH.settings(BETA, MESH.schedule(N));
    Initiator i = new Initiator(client, "beta", CipherSuite.AES_256_GCM);
    Responder r = new Responder(server);
    Established c = i.onResponse(r.onInit(i.start()));
    r.onFinish(c.finishRecord());
    RecordSealer sealer = new RecordSealer(schedule, c.connectionSecret(), c.suite(), AeadProvider.JDK,
        io.sscmic.gateway.handshake.Direction.CLIENT_TO_SERVER);
    byte[] record = sealer.seal(Wire.TYPE_DATA, "control".getBytes(StandardCharsets.US_ASCII));
    byte[] k = schedule.current().chainKey(KeyRole.CURRENT);
    var dir = io.sscmic.gateway.handshake.Direction.CLIENT_TO_SERVER;
    assertTrue(opens(record, c.suite(), RecordKeys.key(k, c.connectionSecret(), dir),
        RecordKeys.iv(k, c.connectionSecret(), dir)));
  }

  @Test
  void everyChainKeyOfTheRunOpensNoRecordOfACapturedConnection() {
    KeySchedule client = MESH.schedule(N);
    KeySchedule server = MESH.schedule(N);
    HandshakeSettings serverSettings = MESH.settings(BETA, server).withReplayFilter(new ReplayFilter(N - 5, 0, 100));
    try (BackToBack p = new BackToBack(MESH.settings(ALPHA, client), "beta", CipherSuite.AES_256_GCM,
        serverSettings)) {
      p.client.writeAndFlush(Unpooled.copiedBuffer("GET /secret HTTP/1.1", StandardCharsets.US_ASCII));
      p.shuttle();
      client.advanceTo(N + 1);
      server.advanceTo(N + 1);
      p.server.writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 200 OK the secret", StandardCharsets.US_ASCII));
      p.client.writeAndFlush(Unpooled.copiedBuffer("more", StandardCharsets.US_ASCII));
      p.shuttle();
      assertEquals("HTTP/1.1 200 OK the secret", p.clientApp.received.toString(StandardCharsets.US_ASCII));

      List<byte[]> c2s = BackToBack.records(p.clientToServer);
      List<byte[]> s2c = BackToBack.records(p.serverToClient);
      byte[] init = c2s.get(0);
      byte[] resp = s2c.get(0);
      byte[] finish = c2s.get(1);
      byte[] th1 = sha256(init, Arrays.copyOfRange(resp, 5, 5 + 66));
      byte[] th4 = sha256(init, Arrays.copyOfRange(resp, 5, resp.length), Arrays.copyOfRange(finish, 5, finish.length));
      byte[] clientRandom = Arrays.copyOfRange(init, 5 + 4 + 32, 5 + 4 + 64);
      byte[] serverRandom = Arrays.copyOfRange(resp, 5 + 2 + 32, 5 + 2 + 64);

      List<byte[]> data = new ArrayList<>();
      c2s.subList(2, c2s.size()).forEach(data::add);
      s2c.subList(1, s2c.size()).forEach(data::add);
      assertEquals(3, data.size());
      int tries = 0;
      for (long e = N - 3; e <= N + 3; e++) {
        byte[] k = MESH.chain.stateAt(e).chainKey(KeyRole.CURRENT);
        List<byte[]> secrets = List.of(
            V2Kdf.derive(k, th4, "connection secret", 32),
            V2Kdf.derive(V2Kdf.concat(new byte[32], k), th4, "connection secret", 32),
            V2Kdf.derive(V2Kdf.concat(k, new byte[32]), th4, "connection secret", 32),
            k, th4, new byte[32], new byte[0]);
        for (byte[] rec : data) {
          for (var dir : io.sscmic.gateway.handshake.Direction.values()) {
            for (byte[] s : secrets) {
              assertFalse(opens(rec, CipherSuite.AES_256_GCM, RecordKeys.key(k, s, dir), RecordKeys.iv(k, s, dir)));
              tries++;
            }
          }
          // v1's derivation from both hello randoms, as an implementation of PROTOCOL.md v1 would try.
          TrafficKeys v1 = new TrafficKeys(clientRandom, serverRandom, CipherSuite.AES_256_GCM, AeadProvider.JDK);
          for (Direction d : Direction.values()) {
            assertFalse(opens(rec, CipherSuite.AES_256_GCM, v1.key(k, d), new byte[12]));
            tries++;
          }
        }
        // The sealed part of RESP (the server's certificate) under handshake keys without the DH.
        byte[] sealedResp = Arrays.copyOfRange(resp, 0, resp.length);
        for (String label : new String[] {"hs key s2c"}) {
          byte[] hk = V2Kdf.derive(k, th1, label, 32);
          byte[] hiv = V2Kdf.derive(k, th1, "hs iv s2c", 12);
          byte[] aad = Arrays.copyOfRange(sealedResp, 0, 5 + 66);
          byte[] out = new byte[sealedResp.length];
          boolean opened;
          try {
            AeadProvider.JDK.create(CipherSuite.AES_256_GCM, hk).open(hiv, aad, 0, aad.length, sealedResp, 5 + 66,
                sealedResp.length - 5 - 66, out, 0);
            opened = true;
          } catch (AeadAuthenticationException ex) {
            opened = false;
          }
          assertFalse(opened);
        }
      }
      assertEquals(7 * 3 * (2 * 7 + 2), tries);
      assertArrayEquals(new byte[0], new byte[0]);
    }
  }

  private static byte[] sha256(byte[]... parts) {
    MessageDigest md = V2Kdf.sha256();
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }
}
