package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Byte-exact streams through a real sidecar pair on loopback: app -> A -> tunnel -> B -> echo -> back. */
class SidecarRoundTripTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node a;
  private Node b;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    NetServer echo = Backends.echo(vertx);
    Instant genesis = Instant.now().minusSeconds(3600);
    b = TestMesh.start(vertx, TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    a = TestMesh.start(vertx, TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "echo", b.tunnelPort()));
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 16383, 16384, 16385, 1 << 20, 50 << 20})
  void everySizeComesBackByteExact(int size) throws Exception {
    byte[] payload = Clients.random(size, size);
    byte[] back = Clients.exchange(a.outboundPort("echo"), payload);
    assertEquals(size, back.length, "length");
    assertEquals(Clients.sha256(payload), Clients.sha256(back), "content");
  }

  @Test
  void severalConnectionsAtOnceStayApart() throws Exception {
    List<CompletableFuture<Boolean>> runs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int n = i;
      runs.add(CompletableFuture.supplyAsync(() -> {
        try {
          byte[] payload = Clients.random((2 << 20) + n * 1000, n);
          return Clients.sha256(payload).equals(Clients.sha256(Clients.exchange(a.outboundPort("echo"), payload)));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }));
    }
    for (CompletableFuture<Boolean> r : runs) {
      assertEquals(true, r.get());
    }
    // Every connection closed cleanly on both sides: nothing active, no failure of any kind.
    TestWait.until(() -> a.metrics().active(TunnelMetrics.Side.OUTBOUND) == 0
        && b.metrics().active(TunnelMetrics.Side.INBOUND) == 0, "connections to close");
    for (io.sscmic.gateway.frame.FailureReason r : io.sscmic.gateway.frame.FailureReason.values()) {
      assertEquals(0.0, a.metrics().failures(r) + b.metrics().failures(r), "failures " + r);
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void eachCipherWorks(CipherSuite suite) throws Exception {
    Node c = TestMesh.start(vertx, TestMesh.client("c-" + suite.wireId(), Instant.now().minusSeconds(3600), INTERVAL,
        TestMesh.SEED, "echo", b.tunnelPort(), suite));
    byte[] payload = Clients.random(300_000, 7);
    assertEquals(Clients.sha256(payload), Clients.sha256(Clients.exchange(c.outboundPort("echo"), payload)));
  }
}
