package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.node.Node;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP listener follows its resolver while it runs: an endpoint added to a service starts
 * taking requests, a removed one stops taking them, its requests in flight finish, and its
 * tunnel streams close; the listener keeps its port and its clients' connections throughout.
 */
class HttpLiveEndpointsTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = testVertx.get();
  }

  /** A backend like HttpMesh's, whose {@code /hold} answers only once {@code release} completes. */
  private HttpServer holdingBackend(String name, CountDownLatch arrived, Promise<Void> release) throws Exception {
    return await(vertx.createHttpServer().requestHandler(req -> {
      req.response().putHeader("x-backend", name);
      if (req.path().equals("/hold")) {
        arrived.countDown();
        release.future().onComplete(x -> req.response().end("held by " + name + "\n"));
      } else {
        req.response().end("hello from " + name + "\n");
      }
    }).listen(0, "127.0.0.1"));
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String backendOf(int port) throws Exception {
    HttpResponse<String> r = get(port, "/hello");
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("x-backend").orElseThrow();
  }

  private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  private static Endpoint endpoint(Node server) {
    return Endpoint.of(loopback(server.tunnelPort()));
  }

  @Test
  void endpointsAddedAndRemovedApplyWithoutRestartingTheListener() throws Exception {
    CountDownLatch held = new CountDownLatch(1);
    Promise<Void> release = Promise.promise();
    Node s1 = HttpMesh.server(vertx, "s1", genesis, INTERVAL, "web", holdingBackend("b1", held, release).actualPort());
    Node s2 = HttpMesh.server(vertx, "s2", genesis, INTERVAL, "web", HttpMesh.backend(vertx, "b2").actualPort());
    Node client = HttpMesh.client(vertx, "client", genesis, INTERVAL, null,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    StaticPeerResolver resolver = new StaticPeerResolver(Map.of("web", List.of(endpoint(s1))));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpProxyVerticle http = new HttpProxyVerticle(new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/", "web", null)), Map.of("web", List.of(loopback(s1.tunnelPort()))),
        Duration.ofSeconds(30), 8, false), resolver,
        new TunnelOptions("client", CipherSuite.AES_256_GCM, AeadProvider.defaultProvider(), Duration.ofSeconds(2),
            Duration.ofSeconds(2)), client.schedule(), client.metrics(), new SecureRandom(), registry);
    await(vertx.deployVerticle(http));
    int port = http.port();

    for (int i = 0; i < 5; i++) {
      assertEquals("b1", backendOf(port), "s1 is the only endpoint at first");
    }
    // A request in flight on s1 when s1 goes away.
    CompletableFuture<HttpResponse<String>> inFlight = jdk.sendAsync(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/hold")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(held.await(30, TimeUnit.SECONDS), "the held request reached b1");

    resolver.update("web", List.of(endpoint(s2)));
    assertTrue(eventually(() -> {
      try {
        return backendOf(port).equals("b2");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }), "requests reach the added endpoint");
    for (int i = 0; i < 20; i++) {
      assertEquals("b2", backendOf(port), "no new request reaches the removed endpoint (request " + i + ")");
    }
    assertTrue(registry.scrape().contains("sscmic_http_peers{node=\"client\",service=\"web\"} 1.0"));

    release.complete();
    HttpResponse<String> drained = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(200, drained.statusCode(), drained.body());
    assertEquals("held by b1\n", drained.body(), "the removed peer's request in flight finished, not cut");
    assertTrue(eventually(() -> s1.metrics().active(TunnelMetrics.Side.INBOUND) == 0),
        "the removed peer's pooled tunnel streams are closed once drained, still open: "
            + s1.metrics().active(TunnelMetrics.Side.INBOUND));

    resolver.update("web", List.of(endpoint(s1), endpoint(s2)));
    assertTrue(eventually(() -> {
      try {
        return backendOf(port).equals("b1");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }), "an endpoint added back takes requests again");
    assertTrue(registry.scrape().contains("sscmic_http_peers{node=\"client\",service=\"web\"} 2.0"));
    assertEquals(port, http.port(), "the same listener throughout");
  }
}
