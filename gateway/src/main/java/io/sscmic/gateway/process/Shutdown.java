package io.sscmic.gateway.process;

import io.vertx.core.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Graceful stop on SIGINT/SIGTERM: the main thread waits here until the stop has run. */
public final class Shutdown {
  private Shutdown() {
  }

  public static void await(Supplier<Future<?>> stop) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // JUL's own shutdown hook may already have closed the log handlers: write to stderr.
      System.err.println("sscmic: stopping (closing listeners, draining connections)");
      try {
        stop.get().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("sscmic: unclean shutdown: " + e);
      }
      System.err.println("sscmic: stopped");
      stopped.countDown();
    }, "sscmic-shutdown"));
    stopped.await();
  }
}
