package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The delay policy alone, with explicit times: failures slow an address down, never shut it out. */
class LoginThrottleTest {
  @Test
  void theFirstFailuresAreFreeThenTheWaitDoublesUpToTheCap() {
    LoginThrottle t = new LoginThrottle(3, 250, 4_000, 60_000);
    long now = 1_000;
    for (int i = 0; i < 3; i++) {
      t.failed("10.0.0.1", now);
      assertEquals(0, t.delay("10.0.0.1", now), "failure " + (i + 1) + " is free");
    }
    long[] expected = {250, 500, 1_000, 2_000, 4_000, 4_000, 4_000};
    for (long e : expected) {
      t.failed("10.0.0.1", now);
      assertEquals(e, t.delay("10.0.0.1", now));
    }
    assertEquals(1_000, t.delay("10.0.0.1", now + 3_000), "counted from the last failure");
    assertEquals(0, t.delay("10.0.0.1", now + 4_000), "never longer than the cap: no lock-out");
    assertEquals(0, t.delay("10.0.0.2", now), "other addresses are not affected");
    assertEquals(10, t.failures("10.0.0.1", now));
    assertEquals(0, t.failures("10.0.0.1", now + 60_000), "the window moved on");
    assertEquals(0, t.delay("10.0.0.1", now + 60_000));
  }

  @Test
  void allFailuresCountsEveryAddressWithinTheWindow() {
    LoginThrottle t = new LoginThrottle(3, 250, 4_000, 60_000);
    t.failed("a", 0);
    t.failed("b", 10);
    t.failed("c", 20);
    assertEquals(3, t.allFailures(30));
    assertEquals(1, t.allFailures(60_015));
  }
}
