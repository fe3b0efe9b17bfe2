package io.sscmic.gateway.http;

import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.config.TunnelSection;
import io.sscmic.gateway.config.NodeSection;
import io.sscmic.gateway.config.KeysynSection;
import io.sscmic.gateway.config.AdminSection;
import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.config.SeedSource;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak: mixed TCP-mode and HTTP-mode traffic with the key rotating every 100 ms. The
 * bar: zero failures, zero corrupted bytes. {@code -Dsscmic.soak.seconds=N} runs longer (CI: 60).
 * Clock skew is SidecarRotationTest's (0.4 interval works; a whole interval and two are judged).
 */
class SoakTest {
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final long SECONDS = Long.getLong("sscmic.soak.seconds", 60);

  @Test
  void mixedTrafficUnderRotationLosesNothing() throws Exception {
    Vertx vertx = TestVertx.create();
    try {
      Instant genesis = Instant.now().minusSeconds(60);
      var b1 = HttpMesh.backend(vertx, "b1");
      var b2 = HttpMesh.backend(vertx, "b2");
      Node s1 = HttpMesh.server(vertx, "s1", genesis, INTERVAL, "web", b1.actualPort());
      Node s2 = HttpMesh.server(vertx, "s2", genesis, INTERVAL, "web", b2.actualPort());
      NodeConfig c = new NodeConfig(new NodeSection("client"),
          new KeysynSection(genesis, INTERVAL, SeedSource.memory(HttpMesh.SEED)), null,
          new TunnelSection(null, CipherSuite.AES_256_GCM, AeadProvider.defaultProvider(), Duration.ofSeconds(2),
              Duration.ofSeconds(2), TunnelLimits.DEFAULTS), AdminSection.plain(null), Map.of(),
          List.of(new OutboundRoute(loopback(0), "web", loopback(s1.tunnelPort()))), new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "web",
          null)), Map.of("web", List.of(loopback(s1.tunnelPort()), loopback(s2.tunnelPort()))), Duration.ofSeconds(10),
          16, false));
      Node client = await(Node.start(vertx, c, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));

      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(32));
      // TCP mode carries HTTP too: a fresh connection per request exercises handshakes under rotation.
      HttpClient tcp = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
          new PoolOptions().setHttp1MaxSize(8));
      AtomicLong requests = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      List<String> failures = new ArrayList<>();
      long end = System.currentTimeMillis() + SECONDS * 1000;
      List<Future<Void>> workers = new ArrayList<>();
      // Steady, not saturating: a soak looks for lost or corrupted bytes over time, not for the
      // throughput ceiling (queueing on a saturated 2-core box would exceed the 100 ms interval).
      for (int w = 0; w < 6; w++) {
        boolean viaTcp = w < 2;
        Promise<Void> done = Promise.promise();
        loop(vertx, viaTcp ? tcp : http, viaTcp ? client.outboundPort("web") : client.httpPort(), new Random(w), end,
            requests, bytes, failures, done);
        workers.add(done.future());
      }
      Future.all(workers).toCompletionStage().toCompletableFuture().get(SECONDS + 60,
          java.util.concurrent.TimeUnit.SECONDS);
      System.out.printf("soak: %d s, %d requests, %d MiB echoed, %.0f rotations, %d failures%n", SECONDS,
          requests.get(), bytes.get() >> 20, client.rotations(), failures.size());
      synchronized (failures) {
        assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " failures");
      }
      assertTrue(requests.get() > SECONDS * 20, "requests: " + requests.get());
      assertEquals(0.0, client.metrics().failures() + s1.metrics().failures() + s2.metrics().failures(),
          "tunnel failures");
    } finally {
      await(vertx.close());
    }
  }

  /** POSTs random bodies (0 to 64 KiB), 5 ms apart, to /echo and checks every byte that comes back. */
  private static void loop(Vertx vertx, HttpClient client, int port, Random random, long end, AtomicLong requests, AtomicLong bytes,
                           List<String> failures, Promise<Void> done) {
    if (System.currentTimeMillis() >= end) {
      done.complete();
      return;
    }
    byte[] body = new byte[random.nextInt(4) == 0 ? random.nextInt(64 * 1024) : random.nextInt(2048)];
    random.nextBytes(body);
    client.request(HttpMethod.POST, port, "127.0.0.1", "/echo")
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200 || !java.util.Arrays.equals(body, b.getBytes())) {
            throw new IllegalStateException("status " + resp.statusCode() + ", " + b.length() + " of " + body.length
                + " bytes, intact: " + java.util.Arrays.equals(body, b.getBytes()));
          }
          return null;
        }))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            requests.incrementAndGet();
            bytes.addAndGet(body.length);
          } else {
            synchronized (failures) {
              failures.add(ar.cause().toString());
            }
          }
          vertx.setTimer(5, t -> loop(vertx, client, port, random, end, requests, bytes, failures, done));
        });
  }
}
