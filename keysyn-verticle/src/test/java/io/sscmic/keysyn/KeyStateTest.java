package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KeyStateTest {
  private static final byte[] K0 = Kdf.derive("seed".getBytes(), "genesis", 32);

  @Test
  void stateAtAnEpochEqualsStepwiseAdvance() {
    KeyState stepwise = KeyState.at(0, K0, 0);
    for (int i = 0; i < 50; i++) {
      stepwise = stepwise.advance();
    }
    KeyState direct = KeyState.at(0, K0, 50);
    assertEquals(50, direct.epoch());
    for (KeyRole r : KeyRole.values()) {
      assertArrayEquals(stepwise.chainKey(r), direct.chainKey(r), r.name());
    }
  }

  @Test
  void advanceBySeveralStepsMatchesRepeatedSingleSteps() {
    KeyState start = KeyState.at(0, K0, 7);
    for (long steps : new long[] {0, 1, 2, 3, 1000}) {
      KeyState one = start;
      for (long i = 0; i < steps; i++) {
        one = one.advance();
      }
      KeyState many = start.advance(steps);
      assertEquals(one.epoch(), many.epoch());
      for (KeyRole r : KeyRole.values()) {
        assertArrayEquals(one.chainKey(r), many.chainKey(r), steps + " steps, " + r);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> start.advance(-1));
  }

  @Test
  void theRatchetShiftsKeysAsThePatentSays() {
    KeyState n = KeyState.at(0, K0, 10);
    KeyState next = n.advance();
    assertArrayEquals(n.chainKey(KeyRole.CURRENT), next.chainKey(KeyRole.PREVIOUS), "Kp = Kn");
    assertArrayEquals(n.chainKey(KeyRole.NEXT), next.chainKey(KeyRole.CURRENT), "Kn = R(Kn)");
    assertArrayEquals(Ratchet.next(n.chainKey(KeyRole.CURRENT)), n.chainKey(KeyRole.NEXT));
    assertEquals(n.tc() + 1, next.tc(), "Tc + 1");
  }

  @Test
  void receiverRolesFollowSerialOrder() {
    KeyState s = KeyState.at(0, K0, 1000);
    int tc = s.tc();
    assertEquals(KeyRole.CURRENT, s.roleFor(tc));
    assertEquals(KeyRole.PREVIOUS, s.roleFor(tc - 1));
    assertEquals(KeyRole.NEXT, s.roleFor(tc + 1));
    assertNull(s.roleFor(tc - 2));
    assertNull(s.roleFor(tc + 2));
    assertNull(s.roleFor((tc + 32768) & 0xFFFF));
    assertEquals(-2, s.distanceTo(tc - 2));
    assertEquals(2, s.distanceTo(tc + 2));
  }

  @Test
  void rolesWrapAroundTheSixteenBitCounter() {
    KeyState last = KeyState.at(65000, K0, 65535);
    assertEquals(65535, last.tc());
    assertEquals(KeyRole.NEXT, last.roleFor(0), "0 follows 65535");
    assertEquals(65536, last.epochFor(0));
    KeyState wrapped = last.advance();
    assertEquals(0, wrapped.tc());
    assertEquals(KeyRole.PREVIOUS, wrapped.roleFor(65535));
    assertEquals(65535, wrapped.epochFor(65535));
    assertNull(wrapped.roleFor(65534), "two behind across the wrap is stale");
    assertEquals(-2, wrapped.distanceTo(65534));
  }

  @Test
  void theFirstEpochOfAChainHasNoPreviousKey() {
    KeyState first = KeyState.at(5, K0, 5);
    assertNull(first.roleFor(first.tc() - 1));
    assertThrows(IllegalStateException.class, () -> first.chainKey(KeyRole.PREVIOUS));
    assertThrows(IllegalArgumentException.class, () -> KeyState.at(5, K0, 4));
  }

  @Test
  void toStringShowsEpochsButNoKeyBytes() {
    KeyState s = KeyState.at(0, K0, 3);
    String text = s.toString();
    for (KeyRole r : KeyRole.values()) {
      byte[] k = s.chainKey(r);
      assertFalse(text.contains(HexFormat.of().formatHex(k)));
      assertFalse(text.contains(Base64.getEncoder().encodeToString(k)));
      assertFalse(text.contains(HexFormat.of().formatHex(k, 0, 4)));
    }
    assertEquals("KeyState{epoch=3, tc=3}", text);
  }
}
