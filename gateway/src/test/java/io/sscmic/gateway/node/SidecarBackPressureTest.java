package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A service that stops reading must stop the sender, not fill the sidecars' memory. */
class SidecarBackPressureTest {
  private static final long TOTAL = 96L << 20;
  private static final long BOUND = 1L << 20;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  @Test
  void aStalledServiceStallsTheSenderWithBoundedQueuesThenEverythingArrives() throws Exception {
    Backends.Recorder backend = new Backends.Recorder(testVertx.get(), true);
    Instant genesis = Instant.now().minusSeconds(60);
    Duration interval = Duration.ofSeconds(5);
    Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("sink", backend.address())));
    Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, interval, TestMesh.SEED, "sink", b.tunnelPort()));

    AtomicLong written = new AtomicLong();
    MessageDigest sentHash = MessageDigest.getInstance("SHA-256");
    try (Socket s = new Socket("127.0.0.1", a.outboundPort("sink"))) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = s.getOutputStream();
          byte[] chunk = new byte[64 * 1024];
          for (long i = 0; written.get() < TOTAL; i++) {
            java.util.Arrays.fill(chunk, (byte) i);
            chunk[0] = (byte) (i >>> 8);
            sentHash.update(chunk);
            out.write(chunk);
            written.addAndGet(chunk.length);
          }
          s.shutdownOutput();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });

      // Wait until the application's writes stall: the service reads nothing, so everything in
      // between (kernel buffers, both sidecars) is full.
      long last = -1;
      while (written.get() != last) {
        last = written.get();
        Thread.sleep(500);
      }
      assertTrue(written.get() < TOTAL, "the sender was stopped (" + written.get() + " of " + TOTAL + " bytes written)");
      long queued = a.metrics().queuedBytes() + b.metrics().queuedBytes();
      assertTrue(queued < BOUND, "user-space queues hold " + queued + " bytes, bound " + BOUND);
      assertEquals(0, backend.bytes.get(), "the service has read nothing yet");

      // The service starts reading: the stream resumes and arrives whole, in order.
      backend.sockets.forEach(sock -> testVertx.get().runOnContext(v -> sock.resume()));
      writer.get();
      TestWait.until(() -> backend.bytes.get() == TOTAL, "all " + TOTAL + " bytes at the service");
    }
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    for (Buffer piece : backend.received) {
      got.update(piece.getBytes());
    }
    assertEquals(HexFormat.of().formatHex(sentHash.digest()), HexFormat.of().formatHex(got.digest()));
    TestWait.until(() -> a.metrics().queuedBytes() == 0 && b.metrics().queuedBytes() == 0, "queues drain");
  }
}
