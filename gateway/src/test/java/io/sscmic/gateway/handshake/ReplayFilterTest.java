package io.sscmic.gateway.handshake;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ReplayFilterTest {
  private static byte[] key(int b) {
    byte[] k = new byte[32];
    k[0] = (byte) b;
    return k;
  }

  @Test
  void aKeySeenInsideTheWindowIsARefusedReplayAndForgottenOnceNoInitOfItsEpochCanOpen() throws Exception {
    ReplayFilter f = new ReplayFilter(10, 0, 100);
    f.admit(key(1), 10, 10);
    assertEquals(AlertReason.REPLAY, assertThrows(HandshakeFailure.class, () -> f.admit(key(1), 10, 10)).reason());
    // At epoch 11 an INIT of epoch 10 is Kp: still acceptable, still remembered.
    assertEquals(AlertReason.REPLAY, assertThrows(HandshakeFailure.class, () -> f.admit(key(1), 10, 11)).reason());
    // At epoch 12 the INIT of epoch 10 is stale anyway: the entry goes.
    f.admit(key(2), 12, 12);
    assertEquals(1, f.size());
  }

  @Test
  void theGraceWindowKeepsEntriesLonger() throws Exception {
    ReplayFilter f = new ReplayFilter(10, 9, 100);
    f.admit(key(1), 10, 10);
    f.admit(key(2), 20, 20);
    assertEquals(AlertReason.REPLAY, assertThrows(HandshakeFailure.class, () -> f.admit(key(1), 10, 20)).reason());
    f.admit(key(3), 21, 21);
    assertDoesNotThrow(() -> f.admit(key(1), 21, 21));
  }

  @Test
  void anInitFromBeforeTheNodeStartedIsStaleAndAFullFilterRefusesAsOverloaded() throws Exception {
    ReplayFilter f = new ReplayFilter(10, 0, 2);
    assertEquals(AlertReason.STALE_EPOCH, assertThrows(HandshakeFailure.class, () -> f.admit(key(1), 9, 10)).reason());
    f.admit(key(1), 10, 10);
    f.admit(key(2), 10, 10);
    assertEquals(AlertReason.OVERLOADED, assertThrows(HandshakeFailure.class, () -> f.admit(key(3), 10, 10)).reason());
  }
}
