package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.mux.RefusalReason;
import io.sscmic.gateway.mux.Role;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tunnel v2 through two real nodes on loopback: alpha's outbound listener carries application
 * connections as streams over its peer pool to bravo's tunnel port, which tells v2 from v1 by the
 * first header and serves both. Handshakes are counted by the nodes' own metric
 * ({@code sscmic_v2_handshakes_total}), refusals by the multiplexer's.
 */
class TunnelV2NodeTest {
  private static final TestIdentities MESH = new TestIdentities("v2-node");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private NetServer echo;
  private final PrometheusMeterRegistry alphaMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final PrometheusMeterRegistry bravoMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    echo = Backends.echo(vertx);
  }

  private Node bravo(NodeConfig base) throws Exception {
    return TestMesh.await(Node.start(vertx, base, bravoMetrics));
  }

  private NodeConfig bravoConfig() throws Exception {
    return TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED, Map.of("echo", Backends.address(echo))),
        MESH, dir, null);
  }

  private Node alpha(Node bravo, int poolSize) throws Exception {
    NodeConfig c = TestMesh.v2(TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo", bravo.tunnelPort()),
        MESH, dir, "bravo").withV2(v -> v.withPoolSize(poolSize));
    return TestMesh.await(Node.start(vertx, c, alphaMetrics));
  }

  /** The nodes' own handshake counter: verified v2 handshakes in {@code role} ("initiator", "responder"). */
  private static double handshakes(PrometheusMeterRegistry registry, String role) {
    return registry.find("sscmic.v2.handshakes").tag("role", role).tag("outcome", "ok").counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  @Test
  void applicationBytesAndHalfCloseGoThroughTheNodePairOnV2() throws Exception {
    Node bravo = bravo(bravoConfig());
    Node alpha = alpha(bravo, 2);
    byte[] request = Clients.random(300_000, 7);

    byte[] reply = Clients.exchange(alpha.outboundPort("echo"), request); // half-close, the echo still arrives

    assertArrayEquals(request, reply);
    assertEquals(1, handshakes(alphaMetrics, "initiator"), "alpha dialled one v2 connection");
    assertEquals(1, handshakes(bravoMetrics, "responder"));
    assertEquals(1, bravo.v2().muxMetrics().peer("alpha").opened(Role.SERVER), "bravo knows the caller by certificate");
    assertEquals(0, bravo.metrics().handshakes(TunnelMetrics.Side.INBOUND), "no v1 tunnel was used");
  }

  @Test
  void twoHundredApplicationConnectionsShareOnePoolConnectionAfterOneHandshakePerSide() throws Exception {
    Node bravo = bravo(bravoConfig());
    Node alpha = alpha(bravo, 1);
    int port = alpha.outboundPort("echo");
    ExecutorService clients = Executors.newFixedThreadPool(16);
    try {
      List<Future<byte[]>> replies = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        byte[] payload = ("connection " + i + ";").getBytes(StandardCharsets.UTF_8);
        replies.add(clients.submit(() -> Clients.exchange(port, payload)));
      }
      for (int i = 0; i < 200; i++) {
        assertEquals("connection " + i + ";", new String(replies.get(i).get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8));
      }
    } finally {
      clients.shutdownNow();
    }
    assertEquals(1, handshakes(alphaMetrics, "initiator"), "one handshake on the calling node");
    assertEquals(1, handshakes(bravoMetrics, "responder"), "one handshake on the receiving node");
    assertEquals(200, bravo.v2().muxMetrics().peer("alpha").opened(Role.SERVER));
    assertEquals(1, alpha.v2().muxMetrics().poolConnections());
  }

  @Test
  void aMemberThePolicyDoesNotAllowGetsItsConnectionResetAndTheRefusalCounted() throws Exception {
    Path policy = dir.resolve("streams.policy");
    Files.writeString(policy, "allow echo charlie\n");
    Node bravo = bravo(bravoConfig().withV2(v -> v.withPolicyFile(policy)));
    Node alpha = alpha(bravo, 1);

    byte[] got = Clients.refusedExchange(alpha.outboundPort("echo"), "let me in".getBytes(StandardCharsets.UTF_8));

    assertEquals(0, got.length, "not a byte of the service reaches the refused application");
    TestWait.until(() -> bravo.v2().muxMetrics().refusedCount(RefusalReason.POLICY, Role.SERVER) == 1,
        "bravo counts the refusal");
    TestWait.until(() -> alpha.v2().muxMetrics().refusedCount(RefusalReason.POLICY, Role.CLIENT) == 1,
        "alpha counts the peer's refusal");
  }

  @Test
  void aV1CallerStillReachesTheTunnelPortThatServesV2() throws Exception {
    Node bravo = bravo(bravoConfig());
    Node alpha = alpha(bravo, 1);
    Node legacy = TestMesh.start(vertx, TestMesh.client("legacy", genesis, INTERVAL, TestMesh.SEED, "echo",
        bravo.tunnelPort()));
    byte[] a = "through v2".getBytes(StandardCharsets.UTF_8);
    byte[] b = "through v1".getBytes(StandardCharsets.UTF_8);

    assertArrayEquals(a, Clients.exchange(alpha.outboundPort("echo"), a));
    assertArrayEquals(b, Clients.exchange(legacy.outboundPort("echo"), b));

    assertEquals(1, handshakes(bravoMetrics, "responder"));
    assertEquals(1, bravo.metrics().handshakes(TunnelMetrics.Side.INBOUND), "the v1 caller's HELLO/ACCEPT");
    assertEquals(null, legacy.v2(), "a seed-only node without a certificate speaks v1 only");
  }

  @Test
  void aStreamOpenWhenTheReceivingNodeStopsFinishesWithinTheDrain() throws Exception {
    Node bravo = bravo(bravoConfig());
    Node alpha = alpha(bravo, 1);
    try (Socket s = new Socket("127.0.0.1", alpha.outboundPort("echo"))) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write('a');
      assertEquals('a', in.read());

      io.vertx.core.Future<Void> stopping = bravo.stop(); // GOAWAY: no new stream, this one runs on
      TestWait.until(() -> alpha.v2().muxMetrics().poolConnections() == 0
          || alpha.v2().pool().connections(alpha.config().outbound().get(0).endpoint()).stream()
              .allMatch(c -> c.isDraining()), "alpha's pool saw the GOAWAY");
      out.write('b');
      assertEquals('b', in.read(), "the open stream still carries bytes during the drain");
      s.shutdownOutput();
      assertEquals(-1, in.read(), "and ends cleanly");
      TestMesh.await(stopping);
    }
  }

  @Test
  void aFloodOfUnauthenticatedConnectionsFromOneAddressLeavesMembersNewStreamsWorking() throws Exception {
    int perSource = 4;
    Node bravo = bravo(bravoConfig().withTunnel(t -> t.withLimits(TunnelLimits.DEFAULTS.withMaxHandshakesPerSource(
        perSource))));
    Node alpha = alpha(bravo, 1);
    List<Socket> flood = new ArrayList<>();
    try {
      // A stranger on another address opens connections and sends half a v2 header: never authenticates.
      for (int i = 0; i < perSource * 3; i++) {
        Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.2", 0));
        s.connect(new InetSocketAddress("127.0.0.1", bravo.tunnelPort()), 10_000);
        s.getOutputStream().write(new byte[] {0, 1, 0x20});
        flood.add(s);
      }
      TestWait.until(() -> bravo.metrics().limitHits(TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE) >= perSource * 2,
          "connections beyond the per-source budget refused");

      for (int i = 0; i < 20; i++) {
        byte[] payload = ("member stream " + i).getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(payload, Clients.exchange(alpha.outboundPort("echo"), payload));
      }
      assertEquals(1, handshakes(bravoMetrics, "responder"), "the member's one pooled connection");
      assertTrue(handshakes(bravoMetrics, "responder") >= 1);
    } finally {
      for (Socket s : flood) {
        s.close();
      }
    }
  }

  @Test
  void aV2DialToAPeerThatSpeaksV1OnlyFailsAsUnsupportedWithoutFallingBack() throws Exception {
    // bravo without a certificate: its tunnel port is v1 only, as a node of an older release.
    Node bravo = bravo(TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED, Map.of("echo", Backends.address(echo))));
    Node alpha = alpha(bravo, 1);

    byte[] got = Clients.refusedExchange(alpha.outboundPort("echo"), "hello".getBytes(StandardCharsets.UTF_8));

    assertEquals(0, got.length, "the application connection is reset, not silently carried over v1");
    TestWait.until(() -> alphaMetrics.find("sscmic.v2.handshakes").tag("outcome", "unsupported").counters().stream()
        .mapToDouble(Counter::count).sum() == 1, "alpha counts the v2 dial refused as unsupported");
    assertEquals(0, bravo.metrics().handshakes(TunnelMetrics.Side.INBOUND), "no v1 tunnel was opened instead");
  }

  @Test
  void aReloadReplacesTheDataPlaneAndItsListenersKeepTheNodesOnePool() throws Exception {
    Node bravo = bravo(bravoConfig());
    Path file = dir.resolve("alpha.yaml");
    Path identity = dir.resolve("identity-alpha");
    TestMesh.v2(TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo", bravo.tunnelPort()), MESH, dir,
        "bravo");
    Files.writeString(dir.resolve("seed"), java.util.HexFormat.of().formatHex(TestMesh.SEED));
    int echoPort = freePort();
    String head = "node:\n  id: alpha\nkeysyn:\n  genesis: \"" + genesis + "\"\n  interval: 20s\n  seed-file: "
        + dir.resolve("seed") + "\ntunnel:\n  version: v2\n  identity-dir: " + identity
        + "\n  handshake-timeout: 15s\n  pool-size: 1\nadmin:\n  listen: none\noutbound:\n"
        + "  - {listen: \"127.0.0.1:" + echoPort + "\", service: echo, peer: \"127.0.0.1:" + bravo.tunnelPort()
        + "\", peer-node: bravo}\n";
    Files.writeString(file, head);
    NodeConfig config = TestMesh.await(io.sscmic.gateway.config.ConfigLoader.load(vertx, file));
    Node alpha = TestMesh.await(Node.start(vertx, config, alphaMetrics, file));
    byte[] a = "before".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(a, Clients.exchange(echoPort, a));

    // A stream open across the reload: it runs on the replaced data plane until it ends.
    try (Socket held = new Socket("127.0.0.1", echoPort)) {
      held.setSoTimeout(30_000);
      held.getOutputStream().write('x');
      assertEquals('x', held.getInputStream().read());
      // A reload that replaces the data plane (the cipher is applied at reload) on the same port.
      Files.writeString(file, head.replace("  handshake-timeout: 15s\n",
          "  handshake-timeout: 15s\n  cipher: chacha20-poly1305\n"));
      // As the dashboard's action does it: over the event bus. (A reload from a plain thread, as
      // SIGHUP's handler calls Node.reload(), under a stream of new connections: ReloadFromPlainThreadTest.
      // Either way a connection caught in the swap was once reset: see SidecarVerticle's comment.)
      io.vertx.core.json.JsonObject answer = TestMesh.await(vertx.eventBus()
          .<io.vertx.core.json.JsonObject>request(io.sscmic.admin.AdminAddresses.action("alpha", "reload"), null)).body();
      assertTrue(answer.getBoolean("ok"), answer.encode());

      for (int i = 0; i < 20; i++) {
        byte[] b = ("after the reload " + i).getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(b, Clients.exchange(echoPort, b));
      }
      held.getOutputStream().write('y');
      assertEquals('y', held.getInputStream().read(), "the stream opened before the reload still runs");
    }
    assertEquals(1, handshakes(alphaMetrics, "initiator"), "the reloaded listeners use the node's one pool");
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
