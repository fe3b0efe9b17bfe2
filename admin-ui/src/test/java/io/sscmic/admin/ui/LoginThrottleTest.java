package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  @Test
  void fiveFailuresInAMinuteBlockThatAddressUntilTheOldestLeavesTheWindow() {
    LoginThrottle t = new LoginThrottle(5, 60_000);
    for (int i = 0; i < 5; i++) {
      assertEquals(0, t.retryAfter("10.0.0.1", 1000 + i));
      t.failed("10.0.0.1", 1000 + i);
    }
    assertEquals(60_000 - 5, t.retryAfter("10.0.0.1", 1005), "blocked until the first failure is a minute old");
    assertEquals(0, t.retryAfter("10.0.0.2", 1005), "other addresses are not affected");
    assertEquals(0, t.retryAfter("10.0.0.1", 61_000), "the window moved on");
  }

  @Test
  void aSuccessClearsTheCount() {
    LoginThrottle t = new LoginThrottle(2, 60_000);
    t.failed("a", 0);
    t.succeeded("a");
    t.failed("a", 1);
    assertEquals(0, t.retryAfter("a", 2));
  }
}
