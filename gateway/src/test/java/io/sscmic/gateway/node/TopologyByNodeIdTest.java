package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's topology on a real mesh (issue 19): alpha dials bravo on tunnel v2 (TCP streams
 * and HTTP request streams) and charlie on tunnel v1. Read from each node's dashboard JSON
 * ({@code /ui/api/status}, logged in as the page does): alpha's edge to bravo is named by bravo's
 * node id (no second, idle edge by bravo's address), carries the streams, a success under 100 %
 * (a stream bravo refused: a service it does not have) and a latency (the mean time to bravo's
 * answer); bravo shows the same peer from its side, an inbound edge from alpha with its refusal;
 * charlie, a v1 peer, keeps its address. The Prometheus text holds the per-node series the edges
 * come from.
 */
class TopologyByNodeIdTest {
  private static final TestIdentities MESH = new TestIdentities("topology");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private static final SocketAddress ANY = SocketAddress.inetSocketAddress(0, "127.0.0.1");
  private static final int ECHOES = 4;
  private static final int REQUESTS = 3;
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry alphaMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final PrometheusMeterRegistry bravoMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void edgesAreByNodeIdOnTunnelV2AndByAddressOnV1() throws Exception {
    Vertx vertx = testVertx.get();
    NetServer echo = Backends.echo(vertx);
    HttpServer web = vertx.createHttpServer().requestHandler(r -> r.response().end("web says " + r.path()));
    TestMesh.await(web.listen(0, "127.0.0.1"));
    Node bravo = TestMesh.await(Node.start(vertx, TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL,
        TestMesh.SEED, Map.of("echo", Backends.address(echo), "web",
            SocketAddress.inetSocketAddress(web.actualPort(), "127.0.0.1"))), MESH, dir, null)
        .withAdmin(a -> a.withListen(ANY).withPasswordHash(AdminCredentials.HASH)), bravoMetrics));
    Node charlie = TestMesh.start(vertx, TestMesh.server("charlie", genesis, INTERVAL, TestMesh.SEED,
        Map.of("old", Backends.address(echo))));

    SocketAddress bravoTunnel = SocketAddress.inetSocketAddress(bravo.tunnelPort(), "127.0.0.1");
    SocketAddress charlieTunnel = SocketAddress.inetSocketAddress(charlie.tunnelPort(), "127.0.0.1");
    NodeConfig a = TestMesh.v2(TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo",
        bravo.tunnelPort()), MESH, dir, "bravo");
    List<OutboundRoute> routes = new ArrayList<>(a.outbound());
    routes.add(new OutboundRoute(ANY, "nope", bravoTunnel, "bravo")); // bravo has no such service: refused
    routes.add(new OutboundRoute(ANY, "old", charlieTunnel)); // no node id: tunnel v1, by address
    HttpModeConfig http = new HttpModeConfig(ANY, List.of(new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(bravoTunnel)), Duration.ofSeconds(30), 8, false)
        .withPeerNodes(Map.of("web", "bravo"));
    Node alpha = TestMesh.await(Node.start(vertx, a.withRoutes(a.services(), routes).withHttp(http)
        .withAdmin(x -> x.withListen(ANY).withPasswordHash(AdminCredentials.HASH)), alphaMetrics));

    assertArrayEquals(new byte[] {9}, Clients.exchange(alpha.outboundPort("old"), new byte[] {9}));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(20)).build();
    for (int i = 0; i < REQUESTS; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + alpha.httpPort() + "/r" + i)).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("web says /r" + i, r.body());
    }
    for (int i = 0; i < ECHOES; i++) {
      byte[] payload = Clients.random(10_000, i);
      assertArrayEquals(payload, Clients.exchange(alpha.outboundPort("echo"), payload));
    }

    // The dashboards' figures are over the last 10 s: each poll opens one more stream and has one
    // more refused, so a slow machine cannot let them slide out of the window before they are read.
    int port = alpha.outboundPort("echo");
    int refused = alpha.outboundPort("nope");
    Runnable traffic = () -> {
      try {
        Clients.exchange(port, new byte[] {7});
        Clients.refusedExchange(refused, new byte[] {1, 2, 3});
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    int streams = ECHOES + REQUESTS;
    // alpha's dashboard: bravo by node id, outbound, with its refusals and a latency.
    JsonObject toBravo = edge(alpha.adminPort(), "bravo", "outbound", traffic,
        e -> e.getLong("streamsSinceStart") > streams && e.getDouble("success") != null
            && e.getDouble("success") < 1 && e.getValue("latencyMs") != null);
    assertEquals(new JsonObject().put("kind", "node").put("id", "alpha"), toBravo.getJsonObject("from"));
    assertEquals(new JsonObject().put("kind", "node").put("id", "bravo"), toBravo.getJsonObject("to"));
    assertTrue(toBravo.getDouble("success") > 0, toBravo.encode());
    assertTrue(toBravo.getDouble("latencyMs") > 0, toBravo.encode());
    assertTrue(toBravo.getDouble("streamsPerSecond") > 0, toBravo.encode());
    assertNull(toBravo.getValue("bytesPerSecond"), "no per-node byte counts: not measured, not zero");

    JsonArray alphaEdges = edges(alpha.adminPort());
    JsonObject toCharlie = find(alphaEdges, "127.0.0.1:" + charlie.tunnelPort(), "both");
    assertNotNull(toCharlie, "the v1 peer keeps its address: " + alphaEdges.encode());
    assertEquals("address", toCharlie.getJsonObject("to").getString("kind"));
    assertEquals(1L, toCharlie.getLong("streamsSinceStart"));
    assertNull(find(alphaEdges, "127.0.0.1:" + bravo.tunnelPort(), "both"),
        "no idle edge by bravo's address beside its node id: " + alphaEdges.encode());

    // bravo's dashboard: the same peer from the other end, inbound, its refusals counted there too.
    JsonObject fromAlpha = edge(bravo.adminPort(), "alpha", "inbound", traffic,
        e -> e.getLong("streamsSinceStart") > streams && e.getDouble("success") != null
            && e.getDouble("success") < 1);
    assertEquals(new JsonObject().put("kind", "node").put("id", "alpha"), fromAlpha.getJsonObject("from"));
    assertEquals(new JsonObject().put("kind", "node").put("id", "bravo"), fromAlpha.getJsonObject("to"));
    assertNull(fromAlpha.getValue("latencyMs"), "the caller measures the answer time, not the callee");

    // The series the edges come from, as Prometheus scrapes them: both ends agree, and every stream
    // bravo accepted (CONNECT and request streams alike) has its answer time.
    Map<String, Double> at = samples(alphaMetrics.scrape());
    Map<String, Double> bt = samples(bravoMetrics.scrape());
    double opened = at.get("sscmic_mux_streams_opened_total{direction=\"outbound\",node=\"alpha\",peer=\"bravo\"}");
    double failed = at.get("sscmic_mux_streams_failed_total{direction=\"outbound\",node=\"alpha\",peer=\"bravo\"}");
    assertTrue(opened > streams && failed >= 2, opened + " opened, " + failed + " failed");
    assertEquals(opened, at.get("sscmic_mux_stream_answer_seconds_count{node=\"alpha\",peer=\"bravo\"}"));
    assertEquals(opened, bt.get("sscmic_mux_streams_opened_total{direction=\"inbound\",node=\"bravo\",peer=\"alpha\"}"));
    assertEquals(failed, bt.get("sscmic_mux_streams_failed_total{direction=\"inbound\",node=\"bravo\",peer=\"alpha\"}"));

    // Issue 19's naming rule on a v2 mesh with HTTP mode: at most 15 buckets per histogram series
    // (Micrometer's percentile histogram gave the v2 handshake 69).
    Map<String, Integer> buckets = new java.util.TreeMap<>();
    for (Map<String, Double> scrape : List.of(at, bt)) {
      for (String series : scrape.keySet()) {
        if (series.startsWith("sscmic_") && series.contains("_bucket{")) {
          buckets.merge(series.replaceAll("(?<=[{,])le=\"[^\"]*\",?", ""), 1, Integer::sum);
        }
      }
    }
    assertTrue(buckets.keySet().stream().anyMatch(k -> k.startsWith("sscmic_v2_handshake_duration_seconds_bucket"))
        && buckets.keySet().stream().anyMatch(k -> k.startsWith("sscmic_http_request_duration_seconds_bucket")),
        "the v2 handshake and HTTP histograms are in the scrape: " + buckets.keySet());
    buckets.forEach((series, n) -> assertTrue(n <= 15, series + " has " + n + " buckets"));
  }

  /** Each sample of a Prometheus text exposition, series to value. */
  private static Map<String, Double> samples(String scrape) {
    Map<String, Double> all = new java.util.HashMap<>();
    for (String line : scrape.split("\n")) {
      int space = line.lastIndexOf(' ');
      if (!line.startsWith("#") && space > 0) {
        all.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return all;
  }

  /** Polls a node's dashboard JSON until its edge with {@code peer} in {@code direction} satisfies {@code ready}. */
  private static JsonObject edge(int adminPort, String peer, String direction, Runnable traffic,
                                 java.util.function.Predicate<JsonObject> ready) throws Exception {
    DashboardClient dashboard = new DashboardClient(adminPort);
    assertEquals(200, dashboard.login(AdminCredentials.PASSWORD).statusCode());
    AtomicReference<JsonArray> last = new AtomicReference<>();
    AtomicReference<JsonObject> found = new AtomicReference<>();
    try {
      TestWait.until(() -> {
        try {
          traffic.run();
          Thread.sleep(200);
          HttpResponse<String> r = dashboard.get("/api/status");
          JsonObject point = new JsonObject(r.body()).getJsonObject("point");
          JsonArray edges = point == null ? null : point.getJsonArray("edges");
          last.set(edges);
          JsonObject e = edges == null ? null : find(edges, peer, direction);
          if (e != null && ready.test(e)) {
            found.set(e);
            return true;
          }
          return false;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "the edge with " + peer + " (" + direction + ")");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the last edges: " + last.get(), e);
    }
    return found.get();
  }

  private static JsonArray edges(int adminPort) throws Exception {
    DashboardClient dashboard = new DashboardClient(adminPort);
    assertEquals(200, dashboard.login(AdminCredentials.PASSWORD).statusCode());
    return new JsonObject(dashboard.get("/api/status").body()).getJsonObject("point").getJsonArray("edges");
  }

  /** The edge whose far end (the peer, not this node) has {@code id}, in {@code direction}. */
  private static JsonObject find(JsonArray edges, String id, String direction) {
    for (int i = 0; i < edges.size(); i++) {
      JsonObject e = edges.getJsonObject(i);
      JsonObject peer = "inbound".equals(e.getString("direction")) ? e.getJsonObject("from") : e.getJsonObject("to");
      if (id.equals(peer.getString("id")) && direction.equals(e.getString("direction"))) {
        return e;
      }
    }
    return null;
  }
}
