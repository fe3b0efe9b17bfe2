package io.sscmic.admin.ui;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long a login attempt waits before its password is checked: the first {@code freeFailures}
 * failures of an address within {@code windowMillis} cost nothing, each further one doubles the
 * wait from {@code baseDelayMillis} up to {@code maxDelayMillis}, counted from that address's last
 * failure. It only ever delays, never refuses: a third party who fails on purpose from the
 * operator's address slows the operator's next login by at most {@code maxDelayMillis}, and cannot
 * lock them out. Pure bookkeeping with explicit times; {@link LoginGate} schedules with it.
 */
final class LoginThrottle {
  /** Bounds memory when many addresses fail: the least recently failing ones are forgotten. */
  private static final int MAX_TRACKED = 10_000;

  private final int freeFailures;
  private final long baseDelayMillis;
  private final long maxDelayMillis;
  private final long windowMillis;
  private final Map<String, Deque<Long>> failures = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
      return size() > MAX_TRACKED;
    }
  };
  private final Deque<Long> all = new ArrayDeque<>();

  LoginThrottle(int freeFailures, long baseDelayMillis, long maxDelayMillis, long windowMillis) {
    this.freeFailures = freeFailures;
    this.baseDelayMillis = baseDelayMillis;
    this.maxDelayMillis = maxDelayMillis;
    this.windowMillis = windowMillis;
  }

  /** Milliseconds an attempt from {@code client} waits before its check, 0 when it may go now. */
  long delay(String client, long now) {
    Deque<Long> times = recent(client, now);
    if (times == null || times.size() <= freeFailures) {
      return 0;
    }
    int excess = Math.min(times.size() - freeFailures - 1, 30);
    long penalty = Math.min(maxDelayMillis, baseDelayMillis << excess);
    return Math.max(0, times.peekLast() + penalty - now);
  }

  /** Failures of {@code client} within the window. */
  int failures(String client, long now) {
    Deque<Long> times = recent(client, now);
    return times == null ? 0 : times.size();
  }

  /** Failures of every address within the window. */
  int allFailures(long now) {
    expire(all, now);
    return all.size();
  }

  void failed(String client, long now) {
    failures.computeIfAbsent(client, c -> new ArrayDeque<>()).addLast(now);
    all.addLast(now);
    if (all.size() > MAX_TRACKED) {
      all.pollFirst();
    }
  }

  private Deque<Long> recent(String client, long now) {
    Deque<Long> times = failures.get(client);
    if (times == null) {
      return null;
    }
    expire(times, now);
    if (times.isEmpty()) {
      failures.remove(client);
      return null;
    }
    return times;
  }

  private void expire(Deque<Long> times, long now) {
    while (!times.isEmpty() && times.peekFirst() <= now - windowMillis) {
      times.pollFirst();
    }
  }
}
