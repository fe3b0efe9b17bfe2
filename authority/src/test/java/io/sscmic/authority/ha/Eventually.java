package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition of an etcd-backed test until it holds, failing after 20 s with what was awaited. */
final class Eventually {
  private Eventually() {
  }

  static void await(BooleanSupplier done, String what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "waited 20 s for " + what);
      Thread.sleep(50);
    }
  }
}
