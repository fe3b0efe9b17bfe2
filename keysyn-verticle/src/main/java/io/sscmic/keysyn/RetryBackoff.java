package io.sscmic.keysyn;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a node without key state waits before asking its source again: doubling from 500 ms
 * and capped at 2 s, so a node is ready at most about 2 s after the authority comes back (with a
 * 30 s cap, a node whose authority was down 32 s became ready 64 s after the outage began). A
 * failed attempt against a down authority costs a refused connect, so the low cap is cheap; the
 * jitter (up to a quarter of the delay) keeps a fleet that lost the authority together from
 * asking in lock step when it returns.
 */
public final class RetryBackoff {
  public static final long FIRST_MILLIS = 500;
  public static final long CAP_MILLIS = 2_000;

  private RetryBackoff() {
  }

  /** The base delay after one of {@code previous} ms (unjittered). */
  public static long next(long previous) {
    return Math.min(previous * 2, CAP_MILLIS);
  }

  /** {@code base} plus up to a quarter of it, at random. */
  public static long jittered(long base) {
    return base + ThreadLocalRandom.current().nextLong(base / 4 + 1);
  }
}
