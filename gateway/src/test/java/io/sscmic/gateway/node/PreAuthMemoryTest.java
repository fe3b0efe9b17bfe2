package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.SeedSource;
import io.sscmic.gateway.frame.FailureReason;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 item 2, memory before authentication. The attack: connections that each send only the
 * header {@code 00 00 01 40 10} (a DATA frame of 16,400 bytes) before any hello. The old decoder
 * allocated the announced length for every one of them and waited for the body until the handshake
 * timeout (4,000 such connections took 79 MB of heap), and logged every refusal. Now the tunnel
 * port refuses the header itself, at once and with nothing buffered, and logs a line a second.
 */
class PreAuthMemoryTest {
  private static final byte[] DATA_HEADER = {0, 0, 0x01, 0x40, 0x10};
  private static final int CONNECTIONS = 200;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node b;
  private Backends.Recorder backend;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    backend = new Backends.Recorder(vertx, false);
    // A long handshake timeout: the old code would have held each connection (and its 16 KiB) this long.
    b = TestMesh.start(vertx, TestMesh.server("b", Instant.now().minusSeconds(60), Duration.ofSeconds(5),
        TestMesh.SEED, Map.of("svc", backend.address()))
        .withTunnel(t -> t.withHandshakeTimeout(Duration.ofSeconds(30))));
  }

  @Test
  void aLargeHeaderOfAnotherTypeBeforeTheHelloIsRefusedAtTheHeaderAndLoggedOnceASecond() throws Exception {
    try (LogCapture logs = new LogCapture("io.sscmic.gateway.inbound")) {
      long t0 = System.nanoTime();
      for (int i = 0; i < CONNECTIONS; i++) {
        try (Socket s = new Socket("127.0.0.1", b.tunnelPort())) {
          // Well under the 30 s handshake timeout: the answer must come from the header alone.
          s.setSoTimeout(10_000);
          s.getOutputStream().write(DATA_HEADER);
          byte[] answer = Clients.readUntilClosed(s.getInputStream()).toByteArray();
          assertTrue(answer.length > 5, "connection " + i + " got a REFUSE frame, not a silent wait");
          assertEquals(0x12, answer[2], "REFUSE");
          assertEquals(FailureReason.MALFORMED.code(), answer[5], "refused as malformed at the header");
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals(CONNECTIONS, (int) b.metrics().failures(FailureReason.MALFORMED), "every refusal is counted");
      long lines = logs.count("refused hello");
      assertTrue(lines >= 1 && lines <= Math.ceil(seconds) + 1,
          lines + " log lines for " + CONNECTIONS + " refusals in " + seconds + " s: at most one a second");
      assertTrue(logs.anyContains("expected HELLO, got a DATA header"), "the log says what was refused");
    }
    assertEquals(0, backend.connections.get());
    assertEquals(0, b.metrics().active(io.sscmic.gateway.tunnel.TunnelMetrics.Side.INBOUND));
  }
}
