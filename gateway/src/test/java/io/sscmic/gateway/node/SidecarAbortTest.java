package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sscmic.gateway.frame.FailureReason;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A stream aborted by one side while the other is still sending: the aborting sidecar sends its
 * ERROR frame and must not reset the tunnel before the peer has read it, or the peer's kernel
 * drops the frame and the peer reports a cut-off tunnel ({@code truncated}) instead of what
 * happened ({@code peer_aborted}). The operator reading the client side's log and metrics sees
 * "the other sidecar aborted the stream", not a network fault.
 */
class SidecarAbortTest {
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  @RepeatedTest(10)
  void aServiceResetWhileTheClientUploadsIsReportedAsPeerAbortedNotTruncated() throws Exception {
    try (ServerSocket service = new ServerSocket(0)) {
      // The service reads nothing for a while (the server sidecar stops reading the tunnel, its
      // socket buffer fills with the client's upload), then resets its connection.
      CompletableFuture<Void> reset = CompletableFuture.runAsync(() -> {
        try (Socket s = service.accept()) {
          Thread.sleep(300);
          s.setSoLinger(true, 0);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Instant genesis = Instant.now().minusSeconds(60);
      Duration interval = Duration.ofSeconds(5);
      Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, interval, TestMesh.SEED,
          Map.of("sink", io.vertx.core.net.SocketAddress.inetSocketAddress(service.getLocalPort(), "127.0.0.1"))));
      Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, interval, TestMesh.SEED, "sink", b.tunnelPort()));
      try (Socket client = new Socket("127.0.0.1", a.outboundPort("sink"))) {
        OutputStream out = client.getOutputStream();
        byte[] chunk = new byte[64 * 1024];
        try {
          // Uploads until the aborted stream reaches the client as a reset.
          for (int i = 0; i < 20_000; i++) {
            out.write(chunk);
          }
        } catch (java.io.IOException expected) {
          // the stream was aborted
        }
      }
      reset.get();
      TestWait.until(() -> a.metrics().failures() >= 1, "the client side recorded how the stream ended");
      assertEquals(1.0, a.metrics().failures(FailureReason.PEER_ABORTED), "the client side read the ERROR frame ("
          + a.metrics().failures(FailureReason.TRUNCATED) + " truncated)");
      assertEquals(0.0, a.metrics().failures(FailureReason.TRUNCATED), "no truncated tunnel on the client side");
    }
  }
}
