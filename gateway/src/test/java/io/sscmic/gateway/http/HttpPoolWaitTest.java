package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route's timeout runs from the request's arrival: time spent waiting for a free pooled
 * connection to the peer counts. Before, Vert.x's pool held a request for as long as the
 * connections were busy (for ever, for a connection whose HTTP/2 SETTINGS never came), and the
 * timeout started only once a connection was had.
 */
class HttpPoolWaitTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void aRequestWaitingForAPooledConnectionGetsItsRouteTimeoutNotTheBusyRequestsTime() throws Exception {
    Vertx vertx = testVertx.get();
    HttpServer backend = HttpMesh.backend(vertx, "b");
    Node server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "web", backend.actualPort());
    // One pooled connection to the peer (max-connections-per-peer 1): /slow holds it for 8 s.
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/slow", "web", Duration.ofSeconds(30)),
            new HttpRoute(null, "/quick", "web", Duration.ofMillis(1500))),
        Map.of("web", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 1, false);
    Node client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    URI base = URI.create("http://127.0.0.1:" + client.httpPort());
    int slowBefore = HttpMesh.SLOW_ARRIVED.get();
    CompletableFuture<HttpResponse<String>> busy = jdk.sendAsync(HttpRequest.newBuilder(base.resolve("/slow?ms=8000"))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (HttpMesh.SLOW_ARRIVED.get() == slowBefore) { // the slow request holds the connection
      assertTrue(System.nanoTime() < deadline, "the slow request never reached the backend");
      Thread.sleep(20);
    }

    long started = System.nanoTime();
    HttpResponse<String> waited = jdk.send(HttpRequest.newBuilder(base.resolve("/quick"))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // What the user sees: a 504 from the sidecar at the route's 1.5 s, not a 200 some 8 s later.
    assertEquals(504, waited.statusCode(), waited.body());
    assertEquals("client", waited.headers().firstValue(HttpProxyVerticle.PRODUCED_BY).orElse(null));
    assertTrue(ms < 6000, "answered at the route timeout, not when the busy connection freed: " + ms + " ms");
    assertEquals(200, busy.get(60, TimeUnit.SECONDS).statusCode(), "the busy request itself is served");
  }
}
