package io.sscmic.gateway.http.upstream;

import java.time.Duration;

/**
 * Bounds the retries of one service, as Linkerd's and Finagle's retry budgets do: over a sliding
 * window, retries may add at most {@code ratio} of the requests plus a floor of
 * {@code minPerSecond} per second (so that a quiet service can still retry at all). When a peer
 * set goes bad, every request fails and wants a retry; without a budget the retries would double
 * the load on what is left exactly when it can least take it.
 *
 * <p>The window is {@value #BUCKETS} one-second buckets. Callers pass the time, so that tests need
 * no waiting. Thread-safe (one lock, held for a few additions).
 */
public final class RetryBudget {
  static final int BUCKETS = 10;
  private static final long SECOND = 1_000_000_000L;

  /** @param ratio retries as a share of requests (0.2 = 20 %); @param minPerSecond the floor */
  public record Settings(double ratio, int minPerSecond) {
    public static final Settings DEFAULT = new Settings(0.2, 10);

    public Settings {
      if (ratio < 0 || ratio > 1 || Double.isNaN(ratio)) {
        throw new IllegalArgumentException("retry budget ratio must be between 0 and 1: " + ratio);
      }
      if (minPerSecond < 0) {
        throw new IllegalArgumentException("retry budget floor must be 0 or more: " + minPerSecond);
      }
    }
  }

  private final Settings settings;
  private final long[] requests = new long[BUCKETS];
  private final long[] retries = new long[BUCKETS];
  /** The second (nanos / 1e9) each bucket currently counts. */
  private final long[] second = new long[BUCKETS];

  public RetryBudget(Settings settings) {
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /** The window the budget counts over. */
  public static Duration window() {
    return Duration.ofSeconds(BUCKETS);
  }

  /** A first attempt of a request (not a retry): it earns {@code ratio} of a retry. */
  public synchronized void request(long nowNanos) {
    requests[bucket(nowNanos)]++;
  }

  /**
   * Asks to retry a request now; on success the retry is counted against the budget.
   *
   * @return false when the budget is spent (the first failure is then the answer)
   */
  public synchronized boolean tryRetry(long nowNanos) {
    int b = bucket(nowNanos);
    long req = 0;
    long ret = 0;
    for (int i = 0; i < BUCKETS; i++) {
      req += requests[i];
      ret += retries[i];
    }
    double allowed = settings.ratio() * req + (double) settings.minPerSecond() * BUCKETS;
    if (ret + 1 > allowed) {
      return false;
    }
    retries[b]++;
    return true;
  }

  /** The bucket of {@code nowNanos}, emptied first if it last counted an older second. */
  private int bucket(long nowNanos) {
    long s = Math.floorDiv(nowNanos, SECOND);
    int b = (int) Math.floorMod(s, (long) BUCKETS);
    if (second[b] != s) {
      // Buckets of seconds that went by without requests are stale too: clear everything older
      // than the window, not only this one.
      for (int i = 0; i < BUCKETS; i++) {
        if (second[i] <= s - BUCKETS) {
          requests[i] = 0;
          retries[i] = 0;
          second[i] = s - BUCKETS;
        }
      }
      second[b] = s;
      requests[b] = 0;
      retries[b] = 0;
    }
    return b;
  }
}
