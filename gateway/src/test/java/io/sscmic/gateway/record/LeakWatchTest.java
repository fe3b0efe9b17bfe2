package io.sscmic.gateway.record;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak assertion of the record tests can fail: a buffer dropped without release is reported. */
class LeakWatchTest {
  static {
    LeakWatch.install();
  }

  @Test
  void anUnreleasedBufferIsReported() throws Exception {
    leakOne();
    boolean seen = false;
    for (int i = 0; i < 20 && !seen; i++) {
      seen = LeakWatch.allLeaks().stream().anyMatch(l -> l.contains(LeakWatch.DELIBERATE));
    }
    assertTrue(seen, "the leak detector reported the deliberately leaked buffer");
  }

  private static void leakOne() {
    ByteBuf b = ByteBufAllocator.DEFAULT.heapBuffer(64);
    b.writeLong(42);
    b.touch(LeakWatch.DELIBERATE);
  }
}
