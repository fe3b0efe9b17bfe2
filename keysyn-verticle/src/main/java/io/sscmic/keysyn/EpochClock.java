package io.sscmic.keysyn;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The cluster-wide epoch clock: {@code N = floor((now - genesis) / interval)} and
 * {@code Tc = N mod 2^16}. Every node derives the same epoch from its own (NTP-synced) clock, so
 * nodes tick together without talking to each other.
 */
public final class EpochClock {
  private final long genesisMillis;
  private final long intervalMillis;
  private final LongSupplier nowMillis;

  public EpochClock(Instant genesis, Duration interval) {
    this(genesis, interval, System::currentTimeMillis);
  }

  /** @param nowMillis the time source, injectable so tests can move time */
  public EpochClock(Instant genesis, Duration interval, LongSupplier nowMillis) {
    if (interval.toMillis() < 1) {
      throw new IllegalArgumentException("interval must be at least 1 ms");
    }
    this.genesisMillis = genesis.toEpochMilli();
    this.intervalMillis = interval.toMillis();
    this.nowMillis = nowMillis;
  }

  public static int tcOf(long epoch) {
    return (int) (epoch & 0xFFFF);
  }

  public long epochAt(long millis) {
    return Math.floorDiv(millis - genesisMillis, intervalMillis);
  }

  public long currentEpoch() {
    return epochAt(nowMillis.getAsLong());
  }

  public long startOf(long epoch) {
    return genesisMillis + epoch * intervalMillis;
  }

  /** Milliseconds until the next epoch boundary, at least 1. */
  public long millisUntilNextEpoch() {
    long now = nowMillis.getAsLong();
    return Math.max(1, startOf(epochAt(now) + 1) - now);
  }

  public long nowMillis() {
    return nowMillis.getAsLong();
  }

  public Duration interval() {
    return Duration.ofMillis(intervalMillis);
  }

  public Instant genesis() {
    return Instant.ofEpochMilli(genesisMillis);
  }
}
