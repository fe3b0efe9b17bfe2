package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EpochClockTest {
  private final Instant genesis = Instant.parse("2026-01-01T00:00:00Z");
  private final AtomicLong now = new AtomicLong(genesis.toEpochMilli());
  private final EpochClock clock = new EpochClock(genesis, Duration.ofMillis(1000), now::get);

  @Test
  void epochsChangeExactlyOnBoundaries() {
    long g = genesis.toEpochMilli();
    assertEquals(-1, clock.epochAt(g - 1));
    assertEquals(0, clock.epochAt(g));
    assertEquals(0, clock.epochAt(g + 999));
    assertEquals(1, clock.epochAt(g + 1000));
    assertEquals(g + 5000, clock.startOf(5));
  }

  @Test
  void timeUntilTheNextBoundaryFollowsTheInjectedClock() {
    now.set(genesis.toEpochMilli() + 250);
    assertEquals(0, clock.currentEpoch());
    assertEquals(750, clock.millisUntilNextEpoch());
    now.set(genesis.toEpochMilli() + 1000);
    assertEquals(1, clock.currentEpoch());
    assertEquals(1000, clock.millisUntilNextEpoch());
  }

  @Test
  void tcWrapsAtSixteenBits() {
    assertEquals(65535, EpochClock.tcOf(65535));
    assertEquals(0, EpochClock.tcOf(65536));
    assertEquals(1, EpochClock.tcOf(65537 + 65536L * 3));
  }

  @Test
  void anIntervalBelowOneMillisecondIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new EpochClock(genesis, Duration.ofNanos(10)));
  }
}
