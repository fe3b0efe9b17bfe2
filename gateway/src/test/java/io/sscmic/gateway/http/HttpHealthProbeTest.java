package io.sscmic.gateway.http;

import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Active health: a peer whose service fails its probe leaves the rotation, and returns when it passes. */
class HttpHealthProbeTest {
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private String backendOf(int port, int i) throws Exception {
    HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello/" + i))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("x-backend").orElseThrow();
  }

  /** True once {@code rounds} requests in a row avoid (or, with {@code seen}, include) backend {@code name}. */
  private boolean settles(int port, String name, boolean seen) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      boolean hit = false;
      for (int i = 0; i < 10; i++) {
        hit |= backendOf(port, i).equals(name);
      }
      if (hit == seen) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static boolean scrapeShows(PrometheusMeterRegistry registry, String line) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < until) {
      if (registry.scrape().contains(line)) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  @Test
  void aPeerFailingItsProbeLeavesTheRotationAndComesBack() throws Exception {
    Vertx vertx = TestVertx.create();
    try {
      Instant genesis = Instant.now().minusSeconds(600);
      Duration interval = Duration.ofSeconds(5);
      AtomicBoolean b1Sick = new AtomicBoolean();
      var b1 = HttpMesh.backend(vertx, "b1", b1Sick);
      var b2 = HttpMesh.backend(vertx, "b2");
      Node s1 = HttpMesh.server(vertx, "s1", genesis, interval, "web", b1.actualPort());
      Node s2 = HttpMesh.server(vertx, "s2", genesis, interval, "web", b2.actualPort());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Node client = HttpMesh.client(vertx, "client", genesis, interval, new HttpModeConfig(loopback(0),
          List.of(new HttpRoute(null, "/", "web", null)),
          Map.of("web", List.of(loopback(s1.tunnelPort()), loopback(s2.tunnelPort()))), Duration.ofSeconds(10), 8,
          // A probe must answer within the interval; a first probe opens a tunnel stream (a handshake),
          // which on a loaded machine (two cores, load 25) took over 200 ms: 1 s keeps that a non-event.
          false, "/healthz", Duration.ofSeconds(1)), registry);
      int port = client.httpPort();
      assertTrue(settles(port, "b1", true), "both peers serve at first");

      assertTrue(registry.scrape().contains("sscmic_http_peers_healthy{node=\"client\",service=\"web\"} 2.0"));
      b1Sick.set(true);
      assertTrue(settles(port, "b1", false), "b1 leaves the rotation once its probe fails");
      // The balancer may stop picking b1 on its failed answers (peak-EWMA) before its probe has
      // failed; the gauge follows the probe, within a few probe intervals.
      assertTrue(scrapeShows(registry, "sscmic_http_peers_healthy{node=\"client\",service=\"web\"} 1.0"),
          "peer health shows one of two in rotation");
      assertTrue(registry.scrape().contains("sscmic_http_peers{node=\"client\",service=\"web\"} 2.0"));
      assertTrue(registry.scrape().contains("sscmic_http_peer_ejections_total{node=\"client\",service=\"web\"}"));

      b1Sick.set(false);
      assertTrue(settles(port, "b1", true), "b1 serves again once its probe passes");
    } finally {
      await(vertx.close());
    }
  }
}
