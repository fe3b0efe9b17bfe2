package io.sscmic.gateway.http.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The retry budget: ratio of requests plus a floor per second, over a sliding 10 s window; time passed in. */
class RetryBudgetTest {
  private static final long NOW = 1_000_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private static int retriesAllowed(RetryBudget b, long at) {
    int n = 0;
    while (b.tryRetry(at)) {
      n++;
    }
    return n;
  }

  @Test
  void retriesAreBoundedByTheRatioOfRequestsPlusTheFloor() {
    RetryBudget b = new RetryBudget(new RetryBudget.Settings(0.2, 1));
    for (int i = 0; i < 1000; i++) {
      b.request(NOW);
    }
    // 20 % of 1,000 plus 1 a second over 10 s.
    assertEquals(210, retriesAllowed(b, NOW));
    assertFalse(b.tryRetry(NOW), "spent");
    b.request(NOW);
    b.request(NOW);
    b.request(NOW);
    b.request(NOW);
    b.request(NOW);
    assertTrue(b.tryRetry(NOW), "five more requests earn one more retry");
  }

  @Test
  void aQuietServiceCanStillRetryUpToTheFloor() {
    RetryBudget b = new RetryBudget(new RetryBudget.Settings(0.2, 10));
    assertEquals(100, retriesAllowed(b, NOW), "10 per second over the 10 s window, without any request");
    RetryBudget none = new RetryBudget(new RetryBudget.Settings(0, 0));
    none.request(NOW);
    assertFalse(none.tryRetry(NOW), "ratio 0 and floor 0: no retries at all");
  }

  @Test
  void theWindowSlidesSoOldRequestsAndRetriesNoLongerCount() {
    RetryBudget b = new RetryBudget(new RetryBudget.Settings(0.5, 0));
    for (int i = 0; i < 100; i++) {
      b.request(NOW);
    }
    assertEquals(50, retriesAllowed(b, NOW + 5 * SECOND), "within the window");
    assertFalse(b.tryRetry(NOW + 9 * SECOND), "still within the window, still spent");
    assertFalse(b.tryRetry(NOW + 20 * SECOND), "the requests have left the window, and with them what they earned");
    for (int i = 0; i < 10; i++) {
      b.request(NOW + 20 * SECOND);
    }
    assertEquals(5, retriesAllowed(b, NOW + 20 * SECOND), "the old retries left too: only the new requests count");
  }

  @Test
  void settingsOutOfRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget.Settings(1.5, 1));
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget.Settings(-0.1, 1));
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget.Settings(0.2, -1));
  }
}
