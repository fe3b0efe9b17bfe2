package io.sscmic.keysyn;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a node without key state (or without its registry watch or lease) waits before asking
 * its source again: doubling from 500 ms and capped at 1.5 s, the jitter taken off the delay, so
 * no wait is longer than {@link #CAP_MILLIS} and a node is ready within about 1.5 s plus one
 * request after an authority replica comes back, whatever the length of the outage (issue 17's
 * target: 2 s). With a 30 s cap a node whose authority was down 32 s became ready 32 s after its
 * return; with a 2 s cap and the jitter added on top, up to 2.5 s plus the request (measured: 4.1 s
 * on a loaded machine, AllAuthoritiesDownTest). A failed attempt against a down authority costs
 * a refused connect per replica, so the low cap is cheap; the jitter (up to a quarter of the
 * delay) keeps a fleet that lost the authority together from asking in lock step when it returns.
 */
public final class RetryBackoff {
  public static final long FIRST_MILLIS = 500;
  /** The longest wait between two attempts, jitter included (it is taken off, never added). */
  public static final long CAP_MILLIS = 1_500;

  private RetryBackoff() {
  }

  /** The base delay after one of {@code previous} ms (unjittered). */
  public static long next(long previous) {
    return Math.min(previous * 2, CAP_MILLIS);
  }

  /** {@code base} less up to a quarter of it, at random: never more than {@code base}. */
  public static long jittered(long base) {
    return base - ThreadLocalRandom.current().nextLong(base / 4 + 1);
  }
}
