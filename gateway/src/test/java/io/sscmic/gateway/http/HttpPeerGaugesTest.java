package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Micrometer gauges hold their object weakly: the peer gauges must sit on something the listener
 * keeps for its lifetime, or an operator reads NaN after the first garbage collection.
 */
class HttpPeerGaugesTest {

  @Test
  void peerGaugesStillReadTheirValuesAfterGarbageCollections() throws Exception {
    Vertx vertx = TestVertx.create();
    try {
      Instant genesis = Instant.now().minusSeconds(600);
      Duration interval = Duration.ofSeconds(5);
      Node s1 = HttpMesh.server(vertx, "s1", genesis, interval, "web", HttpMesh.backend(vertx, "b1").actualPort());
      Node s2 = HttpMesh.server(vertx, "s2", genesis, interval, "web", HttpMesh.backend(vertx, "b2").actualPort());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      HttpMesh.client(vertx, "client", genesis, interval, new HttpModeConfig(loopback(0),
          List.of(new HttpRoute(null, "/", "web", null)),
          Map.of("web", List.of(loopback(s1.tunnelPort()), loopback(s2.tunnelPort()))), Duration.ofSeconds(10), 8,
          false), registry);
      // What a scrape long after start sees: weakly held objects are gone by then.
      for (int i = 0; i < 5; i++) {
        System.gc();
        Thread.sleep(50);
      }
      String scrape = registry.scrape();
      assertTrue(scrape.contains("sscmic_http_peers{node=\"client\",service=\"web\"} 2.0"), scrape);
      assertTrue(scrape.contains("sscmic_http_peers_healthy{node=\"client\",service=\"web\"} 2.0"), scrape);
    } finally {
      await(vertx.close());
    }
  }
}
