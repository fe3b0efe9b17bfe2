package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP mode on tunnel v2 (issue 16 item 2): two real nodes on loopback, alpha's HTTP listener in
 * front of a Java HttpClient, bravo's tunnel port in front of a real Vert.x HTTP/1.1 backend.
 * {@code http.services.web.peer-node: bravo} with {@code tunnel.version: v2}: each request goes as
 * one HTTP/2 request stream on alpha's v2 peer pool, counted by the multiplexer's own metric
 * ({@code sscmic_mux_streams_opened_total}) on both nodes; the loopback tunnel entry (v1) is
 * never used, so alpha makes no v1 tunnel connection at all.
 */
class HttpOverV2Test {
  private static final TestIdentities MESH = new TestIdentities("http-v2");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry alphaMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final PrometheusMeterRegistry bravoMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(20)).build();
  private Node alpha;

  @BeforeEach
  void setUp() throws Exception {
    Vertx vertx = testVertx.get();
    HttpServer backend = HttpMesh.backend(vertx, "web-1");
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Node bravo = await(Node.start(vertx, TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL, HttpMesh.SEED,
        Map.of("web", loopback(backend.actualPort()), "down", loopback(closed))), MESH, dir, null), bravoMetrics));
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/down/", "down", null), new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(loopback(bravo.tunnelPort())), "down", List.of(loopback(bravo.tunnelPort()))),
        Duration.ofSeconds(30), 8, false).withPeerNodes(Map.of("web", "bravo", "down", "bravo"));
    alpha = await(Node.start(vertx, TestMesh.v2(TestMesh.httpClient("alpha", genesis, INTERVAL, HttpMesh.SEED, http),
        MESH, dir, null), alphaMetrics));
  }

  private static double streams(PrometheusMeterRegistry registry, String direction) {
    Counter c = registry.find("sscmic.mux.streams.opened").tag("direction", direction).counter();
    return c == null ? 0 : c.count();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + alpha.httpPort() + path);
  }

  @Test
  void getAndPostGoAsRequestStreamsWithNoLoopbackEntry() throws Exception {
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/hello/" + i)).timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("web-1", r.headers().firstValue("x-backend").orElse(null), "the backend's own answer");
    }
    // 1 MiB, byte-exact both ways, streamed (the backend echoes it chunked).
    byte[] body = new byte[1 << 20];
    for (int i = 0; i < body.length; i++) {
      body[i] = HttpMesh.byteAt(i);
    }
    HttpResponse<byte[]> echoed = client.send(HttpRequest.newBuilder(uri("/echo")).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, echoed.statusCode());
    assertArrayEquals(body, echoed.body(), "the 1 MiB body came back intact through the request stream");
    // A 20 MiB download: the stream is read only as the client takes it (back-pressure).
    HttpResponse<byte[]> big = client.send(HttpRequest.newBuilder(uri("/bytes?n=" + (20 << 20)))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(20 << 20, big.body().length);
    for (int i = 0; i < big.body().length; i += 4093) {
      assertEquals(HttpMesh.byteAt(i), big.body()[i], "byte " + i);
    }
    // The client's Host reaches the service as X-Forwarded-Host (:authority names the service).
    HttpResponse<String> seen = client.send(HttpRequest.newBuilder(uri("/headers")).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(seen.body().toLowerCase(java.util.Locale.ROOT).contains("x-forwarded-host"), seen.body());
    assertEquals(8, streams(alphaMetrics, "outbound"), "one v2 request stream per request on alpha");
    assertEquals(8, streams(bravoMetrics, "inbound"), "and bravo accepted each");
    assertTrue(alphaMetrics.find("sscmic.tunnel.connections.opened").counters().stream()
            .allMatch(c -> c.count() == 0),
        "no v1 tunnel connection from alpha: the loopback tunnel entry was not used");
  }

  @Test
  void aServiceThatIsDownIs502() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/down/x"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(502, r.statusCode(), r.body());
    assertTrue(r.body().contains("down"), "the reason names the service: " + r.body());
  }
}
