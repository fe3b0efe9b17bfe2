package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.AdminCredentials;
import io.sscmic.gateway.node.DashboardClient;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP golden signals per route (issue 19): the request counter and the latency histogram carry a
 * {@code route} label, the route's configured name or {@code HOST/PATH-PREFIX}, and {@code -} for a
 * request no route line chose. A real HTTP client through a real sidecar pair: requests on many
 * distinct paths make no more series than there are routes, and the dashboard's JSON has a row per
 * route with its rate, success and percentiles.
 */
class HttpRouteSignalsTest {
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void requestsAreCountedAndTimedPerRouteWithBoundedLabels() throws Exception {
    Vertx vertx = testVertx.get();
    Instant genesis = Instant.now().minusSeconds(600);
    Duration interval = Duration.ofSeconds(20);
    Node server = HttpMesh.server(vertx, "s1", genesis, interval, "web", HttpMesh.backend(vertx, "b1").actualPort());
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/api/", "web", null, "web-api"), new HttpRoute("web.example", "/", "web", null)),
        Map.of("web", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 8, false);
    Node client = await(Node.start(vertx, TestMesh.httpClient("client", genesis, interval, HttpMesh.SEED, http)
        .withAdmin(a -> a.withListen(loopback(0)).withPasswordHash(AdminCredentials.HASH)), registry));

    HttpClientAgent agent = vertx.createHttpClient();
    for (int i = 0; i < 5; i++) {
      assertEquals(200, get(agent, client.httpPort(), "127.0.0.1", "/api/item/" + i), "a distinct path each time");
    }
    for (int i = 0; i < 2; i++) {
      assertEquals(200, get(agent, client.httpPort(), "web.example", "/page/" + i));
    }
    assertEquals(404, get(agent, client.httpPort(), "nowhere.example", "/x"), "no route: the sidecar's 404");

    // Counted as each request ends: polled, not slept on.
    waitFor(() -> count("web", "web-api", "2xx") == 5 && count("web", "web.example/", "2xx") == 2
        && count("-", "-", "no_route") == 1, "the requests counted per route", 20);
    Set<String> routes = new TreeSet<>();
    registry.find("sscmic.http.requests").counters().forEach(c -> routes.add(c.getId().getTag("route")));
    assertEquals(Set.of("-", "web-api", "web.example/"), routes, "one label value per route, never a path");
    String scrape = registry.scrape();
    assertTrue(scrape.contains(
        "sscmic_http_request_duration_seconds_count{node=\"client\",route=\"web-api\",service=\"web\"} 5\n"), scrape);
    assertTrue(scrape.contains("sscmic_http_request_duration_seconds_bucket{node=\"client\",route=\"web.example/\","
        + "service=\"web\",le=\"+Inf\"} 2\n"), scrape);

    // The dashboard's HTTP table: a row per route, and the service's figures the sum of its routes.
    // Its figures are over the last 10 s: each poll sends one request of each kind again, so a slow
    // machine cannot let them slide out of the window before they are read.
    DashboardClient dashboard = new DashboardClient(client.adminPort());
    assertEquals(200, dashboard.login(AdminCredentials.PASSWORD).statusCode());
    JsonObject[] point = new JsonObject[1];
    waitFor(() -> {
      try {
        get(agent, client.httpPort(), "127.0.0.1", "/api/again");
        get(agent, client.httpPort(), "web.example", "/again");
        get(agent, client.httpPort(), "nowhere.example", "/again");
        point[0] = new JsonObject(dashboard.get("/api/status").body()).getJsonObject("point");
        JsonObject rows = point[0] == null ? null : point[0].getJsonObject("httpRoutes");
        return rows != null && rows.size() == 3 && rows.getJsonObject("web web-api", new JsonObject())
            .getLong("requests", 0L) > 0 && rows.getJsonObject("web web.example/", new JsonObject())
            .getLong("requests", 0L) > 0 && rows.getJsonObject("- -", new JsonObject()).getLong("requests", 0L) > 0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the three routes on the dashboard", 250);
    JsonObject rows = point[0].getJsonObject("httpRoutes");
    JsonObject api = rows.getJsonObject("web web-api");
    assertEquals("web", api.getString("service"));
    assertEquals("web-api", api.getString("route"));
    assertEquals(1.0, api.getDouble("success"), 1e-9);
    assertTrue(api.getDouble("p99") != null && api.getDouble("p99") > 0, api.encode());
    assertEquals(0.0, rows.getJsonObject("- -").getDouble("success"), 1e-9, "the unrouted requests failed");
    assertEquals(api.getLong("requests") + rows.getJsonObject("web web.example/").getLong("requests"),
        point[0].getJsonObject("http").getJsonObject("web").getLong("requests"), "the service: the sum of its routes");
  }

  /** GET with {@code Host: host}, on a connection the sidecar's listener accepts; answers the status. */
  private static int get(HttpClientAgent agent, int port, String host, String path) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setServer(loopback(port)).setHost(host)
        .setPort(port).setURI(path).setTimeout(30_000);
    return agent.request(options).compose(r -> r.send().compose(resp -> resp.body().map(b -> resp)))
        .map(HttpClientResponse::statusCode).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private double count(String service, String route, String outcome) {
    Counter c = registry.find("sscmic.http.requests").tag("service", service).tag("route", route)
        .tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, String what, long periodMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(periodMillis);
    }
  }
}
