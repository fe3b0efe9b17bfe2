package io.sscmic.gateway.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The per-source token bucket, on a clock the test moves. */
class HandshakeRateLimitTest {
  private static final long SECOND = 1_000_000_000L;

  private static int taken(HandshakeRateLimit limit, String source, long now, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      n += limit.tryAcquire(source, now) ? 1 : 0;
    }
    return n;
  }

  @Test
  void aBurstOfTwiceTheRateThenNothingUntilTokensRefill() {
    HandshakeRateLimit limit = new HandshakeRateLimit(10);
    assertEquals(20, taken(limit, "10.0.0.1", 0, 100), "the burst is twice the rate");
    assertFalse(limit.tryAcquire("10.0.0.1", SECOND / 20), "half a token after 50 ms");
    assertTrue(limit.tryAcquire("10.0.0.1", SECOND / 5), "two tokens after 200 ms");
    int refilled = taken(limit, "10.0.0.1", SECOND / 5 + SECOND, 100);
    assertTrue(refilled >= 10 && refilled <= 11, "ten tokens a second (plus the one left): " + refilled);
  }

  @Test
  void sourcesHaveTheirOwnBuckets() {
    HandshakeRateLimit limit = new HandshakeRateLimit(5);
    assertEquals(10, taken(limit, "10.0.0.1", 0, 50));
    assertEquals(10, taken(limit, "10.0.0.2", 0, 50), "one source's flood leaves another's tokens");
  }

  @Test
  void anIdleSourceRefillsOnlyUpToTheBurst() {
    HandshakeRateLimit limit = new HandshakeRateLimit(3);
    taken(limit, "a", 0, 10);
    assertEquals(6, taken(limit, "a", 3600 * SECOND, 100), "an hour idle still gives only the burst");
  }

  @Test
  void theTableForgetsTheOldestSourcesBeyondItsBound() {
    HandshakeRateLimit limit = new HandshakeRateLimit(1);
    assertEquals(2, taken(limit, "first", 0, 10));
    for (int i = 0; i < 5000; i++) {
      limit.tryAcquire("s" + i, 0);
    }
    assertEquals(2, taken(limit, "first", 0, 10), "evicted, so it starts again with a full bucket");
  }
}
