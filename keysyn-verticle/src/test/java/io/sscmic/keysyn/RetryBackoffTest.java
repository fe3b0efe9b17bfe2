package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A node without key state retries its authority often enough to be ready within about 1.5 s
 * plus one request after an authority replica returns, whatever the length of the outage (issue
 * 17: within 2 s; with the old 30 s cap up to 30 s later, with a 2 s cap and the jitter added on
 * top up to 2.5 s plus the request).
 */
class RetryBackoffTest {

  @Test
  void doublesFromHalfASecondAndNeverWaitsMoreThanOneAndAHalfSecondsJitterIncluded() {
    long delay = RetryBackoff.FIRST_MILLIS;
    long waited = 0;
    StringBuilder schedule = new StringBuilder();
    for (int attempt = 0; attempt < 100; attempt++) {
      long actual = RetryBackoff.jittered(delay);
      assertTrue(actual <= delay && actual >= delay - delay / 4, "jitter of at most a quarter, taken off: " + actual);
      assertTrue(actual <= RetryBackoff.CAP_MILLIS, "never longer than CAP_MILLIS: " + actual);
      waited += actual;
      schedule.append(delay).append(' ');
      delay = RetryBackoff.next(delay);
    }
    assertTrue(schedule.toString().startsWith("500 1000 1500 1500 "), schedule.toString());
    assertEquals(RetryBackoff.CAP_MILLIS, delay);
    // After a 32 s outage (the case an operator reported), the next attempt is at most 1.5 s away.
    assertTrue(RetryBackoff.jittered(RetryBackoff.next(RetryBackoff.CAP_MILLIS)) <= 1_500);
    assertTrue(waited > 100 * 1_000, "a hundred attempts still spread over minutes, not a busy loop: " + waited);
  }

  @Test
  void jitterSpreadsAFleetThatLostTheAuthorityTogether() {
    java.util.Set<Long> delays = new java.util.HashSet<>();
    for (int node = 0; node < 50; node++) {
      delays.add(RetryBackoff.jittered(RetryBackoff.CAP_MILLIS));
    }
    assertTrue(delays.size() > 10, "50 nodes do not all retry at the same millisecond: " + delays.size());
  }
}
