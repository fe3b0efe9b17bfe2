package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KeyScheduleTest {
  private final ChainAnchor anchor = ChainAnchor.genesis(new byte[32]);

  @Test
  void notReadyUntilAStateIsInstalled() {
    KeySchedule s = new KeySchedule();
    assertFalse(s.isReady());
    assertNull(s.current());
    assertNull(s.advanceTo(5));
    s.install(anchor.stateAt(3));
    assertTrue(s.isReady());
  }

  /** A late tick (stalled event loop, GC pause) must not leave readers on last epoch's key. */
  @Test
  void aScheduleWithAClockFollowsItWhenReadButLeavesLongCatchUpsToTheVerticle() {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(10_000);
    EpochClock clock = new EpochClock(java.time.Instant.ofEpochMilli(0), java.time.Duration.ofSeconds(1), now::get);
    KeySchedule s = new KeySchedule(clock);
    s.install(anchor.stateAt(10));
    now.set(12_500);
    assertEquals(12, s.current().epoch(), "two epochs later on the clock, no tick yet");
    org.junit.jupiter.api.Assertions.assertArrayEquals(anchor.stateAt(12).chainKey(KeyRole.CURRENT),
        s.current().chainKey(KeyRole.CURRENT));
    now.set(1_000_000);
    assertEquals(12, s.current().epoch(), "a long catch-up is not done inline by a reader");
  }

  @Test
  void theGraceWindowRetainsKeysOnlyWhenTheIntervalIsShorterThanIt() {
    assertEquals(0, KeySchedule.retainedEpochs(java.time.Duration.ofSeconds(30)));
    assertEquals(0, KeySchedule.retainedEpochs(java.time.Duration.ofSeconds(1)));
    assertEquals(1, KeySchedule.retainedEpochs(java.time.Duration.ofMillis(500)));
    assertEquals(9, KeySchedule.retainedEpochs(java.time.Duration.ofMillis(100)));
    assertEquals(64, KeySchedule.retainedEpochs(java.time.Duration.ofMillis(1)), "bounded whatever the interval");
  }

  /**
   * At a 100 ms interval a frame sealed up to 1 s ago (down to Tc-10) still opens: its key is
   * retained for GRACE. An older one does not, and at a 10 s interval nothing is kept beyond Kp.
   */
  @Test
  void keysOlderThanKpAreKeptForTheGraceWindowThenDropped() {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(10_000);
    KeySchedule s = new KeySchedule(new EpochClock(java.time.Instant.ofEpochMilli(0),
        java.time.Duration.ofMillis(100), now::get));
    s.install(anchor.stateAt(100));
    for (long e = 101; e <= 112; e++) {
      now.set(e * 100);
      s.current();
    }
    KeyState state = s.current();
    assertEquals(112, state.epoch());
    for (long e = 102; e <= 110; e++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(anchor.stateAt(e).chainKey(KeyRole.CURRENT),
          s.keyFor(state, EpochClock.tcOf(e)), "epoch " + e + " is inside the grace window");
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(anchor.stateAt(111).chainKey(KeyRole.CURRENT),
        s.keyFor(state, EpochClock.tcOf(111)), "Kp");
    assertNull(s.keyFor(state, EpochClock.tcOf(101)), "Tc-11: beyond Kp and the 9 retained epochs (1 s)");
    assertNull(s.keyFor(state, EpochClock.tcOf(114)), "two ahead is never accepted");

    s.install(anchor.stateAt(200));
    assertNull(s.retainedKey(110), "a newly installed state starts without retained keys");

    KeySchedule slow = new KeySchedule(new EpochClock(java.time.Instant.ofEpochMilli(0),
        java.time.Duration.ofSeconds(10), now::get));
    now.set(1_000_000);
    slow.install(anchor.stateAt(100));
    now.set(1_030_000);
    KeyState later = slow.current();
    assertEquals(103, later.epoch());
    assertNull(slow.keyFor(later, EpochClock.tcOf(101)), "a 10 s interval keeps nothing beyond Kp");
  }

  @Test
  void movesForwardOnlyNeverBack() {
    KeySchedule s = new KeySchedule();
    s.install(anchor.stateAt(3));
    assertEquals(9, s.advanceTo(9).epoch());
    assertEquals(9, s.advanceTo(4).epoch());
    assertEquals(9, s.current().epoch());
  }

  @Test
  void concurrentReadersSeeMonotonicEpochs() throws Exception {
    KeySchedule s = new KeySchedule();
    s.install(anchor.stateAt(0));
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> problem = new AtomicReference<>();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread r = new Thread(() -> {
        long last = -1;
        while (!done.get()) {
          long e = s.current().epoch();
          if (e < last) {
            problem.set("epoch went back from " + last + " to " + e);
          }
          last = e;
        }
      });
      r.start();
      readers.add(r);
    }
    for (int e = 1; e <= 2000; e++) {
      s.advanceTo(e);
    }
    done.set(true);
    for (Thread r : readers) {
      r.join();
    }
    assertNull(problem.get());
    assertEquals(2000, s.current().epoch());
  }
}
