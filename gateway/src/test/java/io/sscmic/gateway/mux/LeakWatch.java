package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Netty's leak detector at PARANOID (every buffer tracked, as -Dio.netty.leakDetection.level=paranoid
 * does), with its reports captured: Netty logs through java.util.logging here (no SLF4J on the test
 * class path), so a handler on the detector's logger sees every "LEAK:" report, and a test fails on one.
 */
final class LeakWatch {
  private static final Logger DETECTOR = Logger.getLogger(ResourceLeakDetector.class.getName());
  private static final List<String> REPORTS = new CopyOnWriteArrayList<>();
  private static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getMessage() != null && r.getMessage().contains("LEAK")) {
        REPORTS.add(r.getMessage());
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  static {
    DETECTOR.addHandler(CAPTURE);
  }

  private LeakWatch() {
  }

  static void paranoid() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  /**
   * Collects garbage, then allocates: the detector reports leaked buffers it finds collected when
   * the next buffer is tracked.
   */
  static void assertNoLeaks() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      for (int j = 0; j < 64; j++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.release();
        ByteBuf h = PooledByteBufAllocator.DEFAULT.heapBuffer(64);
        h.release();
      }
    }
    List<String> found = List.copyOf(REPORTS);
    REPORTS.clear(); // reported once, by the test that ran when the detector found it
    assertEquals(List.of(), found, "Netty reported leaked buffers");
  }
}
