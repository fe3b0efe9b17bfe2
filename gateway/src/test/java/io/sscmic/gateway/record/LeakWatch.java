package io.sscmic.gateway.record;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs Netty's leak detector at PARANOID (every buffer tracked, as
 * {@code -Dio.netty.leakDetection.level=paranoid} would) and records every leak it reports, so a
 * test can assert there was none instead of hoping someone reads the log.
 */
final class LeakWatch {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    try {
      Class<?> c = Class.forName("io.netty.buffer.AbstractByteBuf");
      Field f = c.getDeclaredField("leakDetector");
      f.setAccessible(true);
      ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
      detector.setLeakListener((resourceType, records) -> LEAKS.add(resourceType + ": " + records));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot watch Netty's leak detector", e);
    }
  }

  private LeakWatch() {
  }

  static void install() {
    // The static initialiser does the work; this makes the dependency explicit at the call site.
  }

  /**
   * Collects garbage until the detector has had every chance to see an unreleased buffer, then
   * returns the leaks it reported (a leak is reported when a tracked buffer's wrapper is collected
   * and the next buffer is allocated).
   */
  static List<String> leaks() throws InterruptedException {
    return allLeaks().stream().filter(l -> !l.contains(DELIBERATE)).toList();
  }

  /** The hint a test puts on a buffer it leaks on purpose, to show the watch sees leaks. */
  static final String DELIBERATE = "deliberate-leak-for-LeakWatchTest";

  /** Every leak reported, the deliberate ones included. */
  static List<String> allLeaks() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(50);
      for (int j = 0; j < 100; j++) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(16);
        b.release();
      }
    }
    return List.copyOf(LEAKS);
  }
}
