package io.sscmic.gateway.mux;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.RecvByteBufAllocator;

/**
 * Socket reads of at most 16 KiB on the data path. Netty's adaptive allocator pools buffers up to
 * its largest size class (16,896 bytes); above that it pools only in a JVM with 512 MiB of heap or
 * more, and a node runs with 64 MiB. Netty's default read guess grows to 64 KiB under bulk load,
 * which then made every read a fresh direct allocation (malloc, zeroing, a Cleaner): 3 % of each
 * node's CPU in a bulk profile. A burst of 64 KiB is now four reads in the same wake-up.
 */
final class ReadBuffers {
  /** Stateless (each channel gets its own handle): one instance serves every channel. */
  private static final RecvByteBufAllocator POOLED_SIZES = new AdaptiveRecvByteBufAllocator(64, 2048, 16 * 1024);

  private ReadBuffers() {
  }

  static void withinPooledSizes(Channel channel) {
    channel.config().setRecvByteBufAllocator(POOLED_SIZES);
  }
}
