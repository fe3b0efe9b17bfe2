package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's drain then undrain on a node with an HTTP listener (issue 19), with the JDK's
 * HTTP client: drained, the HTTP port refuses connections and /readyz says not ready; undrained, a
 * fresh HTTP listener binds the same port and requests are answered again, on tunnel v1 and as v2
 * request streams; the request counter goes on from where it was, the peer gauges read the new
 * listener (also after garbage collections), and a second drain closes the new listener.
 * Before, the undrain was refused ("restart the node").
 */
class HttpUndrainTest {
  private static final TestIdentities MESH = new TestIdentities("http-undrain");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry alphaMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void anUndrainedNodeAnswersHttpAgainOnItsPortOverTunnelV1() throws Exception {
    drainAndUndrain(false);
  }

  @Test
  void anUndrainedNodeAnswersHttpAgainOnItsPortOverTunnelV2() throws Exception {
    drainAndUndrain(true);
  }

  private void drainAndUndrain(boolean v2) throws Exception {
    Vertx vertx = testVertx.get();
    HttpServer web = vertx.createHttpServer()
        .requestHandler(r -> r.response().putHeader("content-type", "text/plain").end("web says " + r.path()));
    TestMesh.await(web.listen(0, "127.0.0.1"));
    var bravoConfig = TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED,
        Map.of("web", SocketAddress.inetSocketAddress(web.actualPort(), "127.0.0.1")));
    Node bravo = TestMesh.start(vertx, v2 ? TestMesh.v2(bravoConfig, MESH, dir, null) : bravoConfig);
    // A port of its own (the OS's choice, then fixed in the config): an operator's HTTP listener
    // has a fixed port, and the undrain must open that same one again.
    int httpPort = freePort();
    HttpModeConfig http = new HttpModeConfig(SocketAddress.inetSocketAddress(httpPort, "127.0.0.1"),
        List.of(new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(SocketAddress.inetSocketAddress(bravo.tunnelPort(), "127.0.0.1"))),
        Duration.ofSeconds(30), 8, false);
    var alphaConfig = TestMesh.httpClient("alpha", genesis, INTERVAL, TestMesh.SEED,
        v2 ? http.withPeerNodes(Map.of("web", "bravo")) : http);
    Node alpha = TestMesh.await(Node.start(vertx, v2 ? TestMesh.v2(alphaConfig, MESH, dir, null) : alphaConfig,
        alphaMetrics));
    assertEquals(httpPort, alpha.httpPort());

    for (int i = 0; i < 3; i++) {
      assertServed(httpPort, "/before/" + i);
    }
    TestWait.until(() -> requests("2xx") == 3, "3 requests counted before the drain"); // counted as each ends
    assertEquals(0, draining());

    JsonObject drained = action(vertx, "drain");
    assertTrue(drained.getBoolean("ok"), drained.encode());
    // What a client sees: the port refuses connections (no answer from a half-closed listener).
    TestWait.until(() -> refused(httpPort), "the drained node's HTTP port refuses connections");
    assertEquals(1, draining());
    assertFalse(status(vertx).getBoolean("ready"), "drained: not ready");

    JsonObject undrained = action(vertx, "undrain");
    assertTrue(undrained.getBoolean("ok"), undrained.encode());
    assertEquals(httpPort, alpha.httpPort(), "the HTTP listener is back on its configured port");
    double streamsBefore = streams();
    for (int i = 0; i < 5; i++) {
      assertServed(httpPort, "/after/" + i);
    }
    if (v2) {
      assertEquals(streamsBefore + 5, streams(), "the fresh listener sends its requests as v2 request streams");
    }
    JsonObject status = status(vertx);
    assertTrue(status.getBoolean("ready"), status.encode());
    assertFalse(status.getBoolean("draining"), status.encode());
    assertEquals(0, draining());
    // The request counter goes on across the undrain (3 before, 5 after), not from zero.
    TestWait.until(() -> requests("2xx") == 8, "8 requests counted");
    // The peer gauges read the fresh listener's balancer, and still do after collections (weak references).
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    String scrape = alphaMetrics.scrape();
    assertTrue(scrape.contains("sscmic_http_peers{node=\"alpha\",service=\"web\"} 1.0"), scrape);
    assertTrue(scrape.contains("sscmic_http_peers_healthy{node=\"alpha\",service=\"web\"} 1.0"), scrape);
    assertEquals(1, alphaMetrics.find("sscmic.http.peers").gauges().size(), "one series per service, not two");

    // A second drain closes the new listener (the node's drain action knows it).
    assertTrue(action(vertx, "drain").getBoolean("ok"));
    TestWait.until(() -> refused(httpPort), "drained again: the fresh listener closed too");
    assertEquals(1, draining());
  }

  private static void assertServed(int port, String path) throws Exception {
    // A client of its own per request: nothing pooled from before the drain.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(20)).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("web says " + path, r.body());
  }

  /** True when a fresh HTTP client's request fails because the connection is refused. */
  private static boolean refused(int port) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(20)).build();
    try {
      client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/drained"))
          .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private double requests(String outcome) {
    Counter c = alphaMetrics.find("sscmic.http.requests").tag("service", "web").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private double draining() {
    return alphaMetrics.get("sscmic.node.draining").gauge().value();
  }

  private double streams() {
    Counter c = alphaMetrics.find("sscmic.mux.streams.opened").tag("direction", "outbound").counter();
    return c == null ? 0 : c.count();
  }

  private static JsonObject action(Vertx vertx, String action) throws Exception {
    return TestMesh.await(vertx.eventBus().<JsonObject>request(AdminAddresses.action("alpha", action), null)).body();
  }

  private static JsonObject status(Vertx vertx) throws Exception {
    return TestMesh.await(vertx.eventBus().<JsonObject>request(AdminAddresses.status("alpha"), null)).body();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
