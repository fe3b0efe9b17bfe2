package io.sscmic.gateway.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.TestVertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The idle sweeper on a real Vert.x timer, over streams whose activity the test sets. */
class IdleSweeperTest {
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  /** A stream that only records what the sweeper did to it. */
  private static final class Stream implements IdleSweeper.Stream {
    volatile long last = System.nanoTime();
    final AtomicInteger timedOut = new AtomicInteger();
    final AtomicInteger shutDown = new AtomicInteger();

    @Override
    public long lastActivityNanos() {
      return last;
    }

    @Override
    public void idleTimeout(Duration limit) {
      timedOut.incrementAndGet();
    }

    @Override
    public void shutdown() {
      shutDown.incrementAndGet();
    }
  }

  private <T> T onContext(java.util.function.Supplier<T> action) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    testVertx.get().runOnContext(v -> f.complete(action.get()));
    return f.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aStreamIdleForTheTimeoutIsClosedAndAnActiveOneIsNot() throws Exception {
    Stream idle = new Stream();
    Stream busy = new Stream();
    IdleSweeper sweeper = onContext(() -> {
      IdleSweeper s = new IdleSweeper(testVertx.get(), Duration.ofMillis(300));
      s.add(idle);
      s.add(busy);
      return s;
    });
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (idle.timedOut.get() == 0 && System.nanoTime() < until) {
      busy.last = System.nanoTime();
      Thread.sleep(20);
    }
    assertTrue(idle.timedOut.get() >= 1, "the idle stream was timed out");
    assertEquals(0, busy.timedOut.get(), "a stream with activity within the timeout stays");
    onContext(() -> {
      sweeper.close();
      return null;
    });
  }

  @Test
  void aRemovedStreamIsNoLongerSwept() throws Exception {
    Stream gone = new Stream();
    Stream watched = new Stream();
    onContext(() -> {
      IdleSweeper s = new IdleSweeper(testVertx.get(), Duration.ofMillis(200));
      s.add(gone);
      s.add(watched);
      s.remove(gone);
      return s;
    });
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (watched.timedOut.get() == 0 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertTrue(watched.timedOut.get() >= 1, "the sweeper ran");
    assertEquals(0, gone.timedOut.get(), "the removed stream was left alone");
  }

  @Test
  void aZeroTimeoutNeverSweepsButAbortAllStillCloses() throws Exception {
    Stream s1 = new Stream();
    s1.last = 0;
    IdleSweeper sweeper = onContext(() -> {
      IdleSweeper s = new IdleSweeper(testVertx.get(), Duration.ZERO);
      s.add(s1);
      return s;
    });
    Thread.sleep(500);
    assertEquals(0, s1.timedOut.get(), "zero disables the idle timeout");
    onContext(() -> {
      sweeper.abortAll();
      return null;
    });
    assertEquals(1, s1.shutDown.get(), "abortAll shuts every tracked stream down");
  }
}
