package io.sscmic.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.record.RecordOpener;
import io.sscmic.gateway.record.RecordSealer;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.buffer.Buffer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The same work as FrameBench.sealOpenDataFrame (v1) and RecordBench.sealOpenRecord (v2), timed in
 * the thread's CPU time instead of wall time, v1 and v2 alternating round by round: on a machine
 * shared with other jobs, wall-clock throughput mostly measures the share of CPU the benchmark got;
 * CPU time per operation does not. Prints the median of the rounds, in ns per seal + open, and
 * for RecordBench.throughHandlers (the whole handler pair on EmbeddedChannels).
 * {@code java -cp bench/target/benchmarks.jar io.sscmic.bench.RecordCpuCost}
 */
public final class RecordCpuCost {
  private RecordCpuCost() {
  }

  public static void main(String[] args) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    KeySchedule schedule = new KeySchedule();
    schedule.install(ChainAnchor.genesis(new byte[32]).stateAt(100));
    System.out.printf("%-18s %6s %12s %12s %8s %16s%n", "suite", "size", "v1 ns/op", "v2 ns/op", "v2/v1",
        "v2 handlers ns");
    for (CipherSuite suite : CipherSuite.values()) {
      for (int size : new int[] {100, 16384}) {
        TrafficKeys keys = new TrafficKeys(new byte[32], new byte[32], suite, AeadProvider.defaultProvider());
        FrameSealer v1s = new FrameSealer(schedule, keys, io.sscmic.gateway.frame.Direction.CLIENT_TO_SERVER);
        FrameOpener v1o = new FrameOpener(schedule, keys, io.sscmic.gateway.frame.Direction.CLIENT_TO_SERVER);
        Buffer v1payload = Buffer.buffer(new byte[size]);
        RecordSealer v2s = new RecordSealer(schedule, new byte[32], suite, AeadProvider.defaultProvider(),
            Direction.CLIENT_TO_SERVER);
        RecordOpener v2o = new RecordOpener(schedule, new byte[32], suite, AeadProvider.defaultProvider(),
            Direction.CLIENT_TO_SERVER);
        ByteBuf v2payload = Unpooled.wrappedBuffer(new byte[size]);
        byte[] plain = new byte[size];
        int ops = size > 1000 ? 4000 : 100_000;
        int rounds = 7;
        long[] a = new long[rounds];
        long[] b = new long[rounds];
        long[] c = new long[rounds];
        RecordBench handlers = new RecordBench();
        handlers.suite = suite;
        handlers.size = size;
        handlers.setUp();
        for (int r = -2; r < rounds; r++) { // two warm-up rounds
          long t0 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < ops; i++) {
            byte[] frame = v1s.data(v1payload, 0, size).getBytes();
            v1o.open(((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF), FrameType.DATA, frame);
          }
          long t1 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < ops; i++) {
            ByteBuf sealed = v2s.sealData(ByteBufAllocator.DEFAULT, v2payload);
            v2o.open(sealed.array(), sealed.arrayOffset() + sealed.readerIndex(), sealed.readableBytes(), plain, 0);
            sealed.release();
          }
          long t2 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < ops; i++) {
            handlers.throughHandlers();
          }
          long t3 = mx.getCurrentThreadCpuTime();
          if (r >= 0) {
            a[r] = (t1 - t0) / ops;
            b[r] = (t2 - t1) / ops;
            c[r] = (t3 - t2) / ops;
          }
        }
        Arrays.sort(a);
        Arrays.sort(b);
        Arrays.sort(c);
        handlers.tearDown();
        long v1 = a[rounds / 2];
        long v2 = b[rounds / 2];
        System.out.printf("%-18s %6d %12d %12d %8.2f %16d%n", suite, size, v1, v2, (double) v2 / v1, c[rounds / 2]);
      }
    }
  }
}
