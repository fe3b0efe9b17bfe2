package io.sscmic.gateway.node;

import java.util.function.BooleanSupplier;

/** Polls a condition (state, never elapsed time, is what tests assert). */
final class TestWait {
  private TestWait() {
  }

  static void until(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
