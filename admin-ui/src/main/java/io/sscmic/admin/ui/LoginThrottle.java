package io.sscmic.admin.ui;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Limits failed logins per client address: after {@code maxFailures} failures within
 * {@code windowMillis}, further attempts from that address are refused without checking the
 * password until the oldest failure leaves the window. Confined to the admin verticle's event loop.
 */
final class LoginThrottle {
  /** Bounds memory when many addresses fail: the least recently failing ones are forgotten. */
  private static final int MAX_TRACKED = 10_000;

  private final int maxFailures;
  private final long windowMillis;
  private final Map<String, Deque<Long>> failures = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
      return size() > MAX_TRACKED;
    }
  };

  LoginThrottle(int maxFailures, long windowMillis) {
    this.maxFailures = maxFailures;
    this.windowMillis = windowMillis;
  }

  /** Milliseconds until {@code client} may try again, or 0 when it may try now. */
  long retryAfter(String client, long now) {
    Deque<Long> times = failures.get(client);
    if (times == null) {
      return 0;
    }
    while (!times.isEmpty() && times.peekFirst() <= now - windowMillis) {
      times.pollFirst();
    }
    if (times.isEmpty()) {
      failures.remove(client);
      return 0;
    }
    return times.size() < maxFailures ? 0 : times.peekFirst() + windowMillis - now;
  }

  void failed(String client, long now) {
    failures.computeIfAbsent(client, c -> new ArrayDeque<>()).addLast(now);
  }

  void succeeded(String client) {
    failures.remove(client);
  }
}
