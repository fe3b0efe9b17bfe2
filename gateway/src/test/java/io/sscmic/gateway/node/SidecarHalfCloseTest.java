package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stream ends under back-pressure: a service that closes its sending side first and then reads
 * slowly must still receive every byte and a clean end, although the client's sidecar has
 * finished both directions and closed the tunnel long before the service has read it all.
 */
class SidecarHalfCloseTest {
  private static final int TOTAL = 16 << 20;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  @Test
  void aServiceThatEndsItsSideFirstAndReadsSlowlyGetsEveryByteAndACleanEnd() throws Exception {
    try (ServerSocket service = new ServerSocket(0)) {
      // The service: says nothing (FIN at once), then reads slowly until the end of the stream.
      CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
        try (Socket s = service.accept()) {
          s.shutdownOutput();
          MessageDigest d = MessageDigest.getInstance("SHA-256");
          InputStream in = s.getInputStream();
          byte[] buf = new byte[32 * 1024];
          long n = 0;
          for (int r; (r = in.read(buf)) >= 0; ) {
            d.update(buf, 0, r);
            n += r;
            Thread.sleep(2);
          }
          return n + " " + HexFormat.of().formatHex(d.digest());
        } catch (Exception e) {
          return "failed after reading: " + e;
        }
      });
      Instant genesis = Instant.now().minusSeconds(60);
      Duration interval = Duration.ofSeconds(5);
      Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, interval, TestMesh.SEED,
          Map.of("sink", io.vertx.core.net.SocketAddress.inetSocketAddress(service.getLocalPort(), "127.0.0.1"))));
      Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, interval, TestMesh.SEED, "sink", b.tunnelPort()));

      byte[] payload = Clients.random(TOTAL, 11);
      try (Socket client = new Socket("127.0.0.1", a.outboundPort("sink"))) {
        client.setSoTimeout(60_000);
        OutputStream out = client.getOutputStream();
        out.write(payload);
        client.shutdownOutput();
        assertEquals(-1, client.getInputStream().read(), "the client sees the service's clean end, no bytes");
      }
      String expected = TOTAL + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
      assertEquals(expected, received.get(60, TimeUnit.SECONDS));
      assertEquals(0.0, b.metrics().failures() + a.metrics().failures(), "no stream counted as failed");
    }
  }
}
