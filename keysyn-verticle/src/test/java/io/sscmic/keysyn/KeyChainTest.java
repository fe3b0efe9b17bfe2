package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Re-seeding: the chain switch at a named epoch, the same whichever way a node gets there. */
class KeyChainTest {
  private static final byte[] SEED = "key chain test seed, thirty-two bytes at least".getBytes();
  private static final long E = 40;
  private final ChainAnchor genesis = ChainAnchor.genesis(SEED);
  private final ChainAnchor reseed = ChainAnchor.random(E, new SecureRandom());
  private final KeyChain chain = new KeyChain(List.of(genesis, reseed));

  private static void assertSameKeys(KeyState expected, KeyState actual) {
    assertEquals(expected.epoch(), actual.epoch());
    for (KeyRole r : KeyRole.values()) {
      if (r == KeyRole.PREVIOUS && expected.roleFor(expected.tc() - 1 & 0xFFFF) == null) {
        continue;
      }
      assertArrayEquals(expected.chainKey(r), actual.chainKey(r), r + " at epoch " + actual.epoch());
    }
  }

  @Test
  void theSwitchRule() {
    // Before E-1: the genesis chain untouched.
    assertSameKeys(genesis.stateAt(E - 2), chain.stateAt(E - 2));
    // At E-1: Kp, Kn of the old chain, but K(E) is the new chain's key (for a sender already at E).
    KeyState last = chain.stateAt(E - 1);
    assertArrayEquals(genesis.stateAt(E - 1).chainKey(KeyRole.CURRENT), last.chainKey(KeyRole.CURRENT));
    assertArrayEquals(reseed.key(), last.chainKey(KeyRole.NEXT));
    // At E: Kp is the old chain's last key (for a sender still at E-1), Kn the new chain's first.
    KeyState first = chain.stateAt(E);
    assertArrayEquals(genesis.stateAt(E - 1).chainKey(KeyRole.CURRENT), first.chainKey(KeyRole.PREVIOUS));
    assertArrayEquals(reseed.key(), first.chainKey(KeyRole.CURRENT));
    assertArrayEquals(Ratchet.next(reseed.key()), first.chainKey(KeyRole.NEXT));
    // After: the new chain only; nothing of the old chain's future survives.
    KeyState later = chain.stateAt(E + 5);
    assertSameKeys(reseed.stateAt(E + 5), later);
    assertFalse(Arrays.equals(genesis.stateAt(E + 5).chainKey(KeyRole.CURRENT), later.chainKey(KeyRole.CURRENT)));
  }

  @Test
  void aScheduleThatTicksAcrossTheSwitchMatchesTheChain() {
    KeySchedule ticking = new KeySchedule();
    ticking.install(genesis.stateAt(E - 5));
    ticking.schedule(reseed);
    for (long n = E - 4; n <= E + 3; n++) {
      assertSameKeys(chain.stateAt(n), ticking.advanceTo(n));
    }
  }

  @Test
  void aScheduleThatJumpsAcrossTheSwitchMatchesTheChain() {
    for (long from : new long[] {E - 9, E - 2, E - 1}) {
      for (long to : new long[] {E, E + 1, E + 7}) {
        KeySchedule s = new KeySchedule();
        s.install(genesis.stateAt(from));
        s.schedule(reseed);
        assertSameKeys(chain.stateAt(to), s.advanceTo(to));
      }
    }
  }

  @Test
  void anAnnouncementAtOrAfterItsEpochIsRefused() {
    KeySchedule s = new KeySchedule();
    s.install(genesis.stateAt(E));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.schedule(reseed));
    assertEquals("a new chain from epoch 40 comes too late: already at epoch 40", e.getMessage());
  }

  @Test
  void pendingAfterNamesTheNextSwitch() {
    assertEquals(E, chain.pendingAfter(E - 1).epoch());
    assertNull(chain.pendingAfter(E));
  }
}
