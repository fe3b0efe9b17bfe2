package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.Node;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transparent listener end to end on loopback, without TPROXY: a connection made straight to
 * the listener has the listener's own address as its "original destination", so a route for
 * 127.0.0.0/8 maps it. Real sockets, a real peer node and a real backend; the listening socket
 * really gets IP_TRANSPARENT (root: CAP_NET_ADMIN). The TPROXY path itself is tested as root in
 * network namespaces by deploy/local/intercept-netns.sh.
 */
class InterceptListenerTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private static final Instant GENESIS = Instant.now().minusSeconds(600);
  private static final Duration INTERVAL = Duration.ofSeconds(30);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final InterceptMetrics metrics = new InterceptMetrics(registry, "a");
  private final RuleInstallerTest.FakeKernel kernel = new RuleInstallerTest.FakeKernel();
  private final List<String> said = new ArrayList<>();
  private Node a;
  private int peerPort;

  @BeforeEach
  void mesh() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "IP_TRANSPARENT needs CAP_NET_ADMIN (root)");
    Vertx v = vertx.get();
    NetServer echo = TestMesh.await(v.createNetServer().connectHandler(s -> {
      TcpHalfClose.enable(s);
      s.handler(b -> {
        if (b.length() == 0) {
          s.close(); // the client's FIN
        } else {
          s.write(b);
        }
      });
    }).listen(0, "127.0.0.1"));
    NetServer banner = TestMesh.await(v.createNetServer().connectHandler(s -> s.write("220 ready\r\n"))
        .listen(0, "127.0.0.1"));
    Node b = TestMesh.start(v, TestMesh.server("b", GENESIS, INTERVAL, TestMesh.SEED, Map.of(
        "echo", SocketAddress.inetSocketAddress(echo.actualPort(), "127.0.0.1"),
        "banner", SocketAddress.inetSocketAddress(banner.actualPort(), "127.0.0.1"))));
    peerPort = b.tunnelPort();
    // Node a gives us a key schedule in step with b's and the tunnel metrics; its own outbound
    // listener is not used.
    a = TestMesh.start(v, TestMesh.client("a", GENESIS, INTERVAL, TestMesh.SEED, "echo", peerPort));
  }

  private InterceptConfig config(String match, String service, boolean manage, Duration detect) {
    return new InterceptConfig(SocketAddress.inetSocketAddress(0, "127.0.0.1"), manage, 0x5353, 153, null, detect,
        Set.of(), List.of(new InterceptRoute(DestinationMatch.parse("m", match), service,
            SocketAddress.inetSocketAddress(peerPort, "127.0.0.1"))), List.of());
  }

  private InterceptVerticle deploy(InterceptConfig c) throws Exception {
    InterceptVerticle v = new InterceptVerticle("a", c, a.config().tunnelOptions(), a.schedule(), a.metrics(),
        new SecureRandom(), metrics, new RuleInstaller(kernel, said::add));
    TestMesh.await(vertx.get().deployVerticle(v));
    return v;
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void anHttpConnectionIsLabelledAndCarriedByteForByteThroughTheTunnel() throws Exception {
    InterceptVerticle v = deploy(config("127.0.0.0/8", "echo", false, Duration.ofSeconds(5)));
    String request = "GET /orders HTTP/1.1\r\nHost: orders\r\n\r\n" + "x".repeat(100_000);
    try (Socket s = new Socket("127.0.0.1", v.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.shutdownOutput(); // half-close: the answer must still come back whole
      assertEquals(request, readAll(s.getInputStream()), "the echo through the tunnel returns every byte");
    }
    assertEquals(1.0, metrics.connections(Protocol.HTTP1, InterceptMetrics.Outcome.CARRIED));
    assertEquals(1.0, metrics.detections(InterceptMetrics.How.SNIFFED));
    assertTrue(a.metrics().streamsOpened(io.sscmic.gateway.tunnel.TunnelMetrics.Side.OUTBOUND) >= 1,
        "the connection went through the outbound tunnel path");
    String scrape = registry.scrape();
    assertTrue(scrape.contains("sscmic_intercept_connections_total{node=\"a\",outcome=\"carried\",protocol=\"http1\"} 1.0"),
        scrape);
    assertTrue(scrape.contains("sscmic_intercept_detections_total{how=\"sniffed\",node=\"a\"} 1.0"), scrape);
    if (java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/promtool"))) {
      CommandRunner.Result lint = CommandRunner.system().run(List.of("promtool", "check", "metrics"), scrape);
      assertEquals(0, lint.exit(), "promtool check metrics: " + lint.out() + lint.err());
    }
  }

  @Test
  void opaqueTcpIsCarriedToo() throws Exception {
    InterceptVerticle v = deploy(config("127.0.0.0/8", "echo", false, Duration.ofSeconds(5)));
    try (Socket s = new Socket("127.0.0.1", v.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.ISO_8859_1));
      s.shutdownOutput();
      assertEquals("*1\r\n$4\r\nPING\r\n", readAll(s.getInputStream()));
    }
    assertEquals(1.0, metrics.connections(Protocol.TCP, InterceptMetrics.Outcome.CARRIED));
  }

  @Test
  void aServerThatSpeaksFirstAnswersAfterTheDetectionTimeoutWhenItsPortIsNotDeclared() throws Exception {
    InterceptVerticle v = deploy(config("127.0.0.0/8", "banner", false, Duration.ofMillis(300)));
    long t0 = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", v.port())) {
      s.setSoTimeout(20_000);
      byte[] line = new byte[11];
      int n = 0;
      while (n < line.length) {
        int r = s.getInputStream().read(line, n, line.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      assertEquals("220 ready\r\n", new String(line, 0, n, StandardCharsets.ISO_8859_1));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms >= 250, "the client said nothing: the banner waited for the detection timeout (" + ms + " ms)");
    assertEquals(1.0, metrics.detections(InterceptMetrics.How.TIMEOUT));
  }

  @Test
  void aDestinationWithoutARouteIsResetAndCounted() throws Exception {
    InterceptVerticle v = deploy(config("10.0.0.0/8", "echo", false, Duration.ofSeconds(5)));
    try (Socket s = new Socket("127.0.0.1", v.port())) {
      s.setSoTimeout(20_000);
      // What the application sees: a reset connection (on its write or its read: the listener
      // resets it as it accepts it), never an answer from the wrong service.
      assertThrows(SocketException.class, () -> {
        s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (s.getInputStream().read() < 0) {
          throw new SocketException("closed without a reset");
        }
      });
    }
    assertEquals(1.0, metrics.connections(Protocol.TCP, InterceptMetrics.Outcome.UNMAPPED));
  }

  @Test
  void aNodeThatManagesItsRulesInstallsThemAtStartAndRemovesThemAtStop() throws Exception {
    InterceptVerticle v = deploy(config("127.0.0.0/8", "echo", true, Duration.ofSeconds(5)));
    assertTrue(kernel.table && kernel.rules == 1 && kernel.route, kernel.commands.toString());
    TestMesh.await(vertx.get().undeploy(v.deploymentID()));
    assertTrue(!kernel.table && kernel.rules == 0 && !kernel.route, kernel.commands.toString());
    assertTrue(said.contains("deleted nftables table inet sscmic"), said.toString());
  }
}
