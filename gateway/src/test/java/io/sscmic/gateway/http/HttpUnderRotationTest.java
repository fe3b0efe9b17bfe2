package io.sscmic.gateway.http;

import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The key rotates every 100 ms while HTTP load runs for 10 s: not one request may fail. */
class HttpUnderRotationTest {
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final long LOAD_MILLIS = 10_000;

  @Test
  void aRotationEvery100MsDuringTenSecondsOfLoadFailsNoRequest() throws Exception {
    Vertx vertx = TestVertx.create();
    try {
      Instant genesis = Instant.now().minusSeconds(60);
      var b1 = HttpMesh.backend(vertx, "b1");
      var b2 = HttpMesh.backend(vertx, "b2");
      Node s1 = HttpMesh.server(vertx, "s1", genesis, INTERVAL, "web", b1.actualPort());
      Node s2 = HttpMesh.server(vertx, "s2", genesis, INTERVAL, "web", b2.actualPort());
      Node client = HttpMesh.client(vertx, "client", genesis, INTERVAL, new HttpModeConfig(loopback(0),
          List.of(new HttpRoute(null, "/", "web", null)),
          Map.of("web", List.of(loopback(s1.tunnelPort()), loopback(s2.tunnelPort()))), Duration.ofSeconds(10), 8,
          false), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      double rotationsBefore = client.rotations();
      var http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(16));
      AtomicInteger ok = new AtomicInteger();
      List<String> failures = new ArrayList<>();
      long end = System.currentTimeMillis() + LOAD_MILLIS;
      List<Future<Void>> workers = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        Promise<Void> done = Promise.promise();
        loop(http, client.httpPort(), w, end, ok, failures, done);
        workers.add(done.future());
      }
      await(Future.all(workers));
      double rotations = client.rotations() - rotationsBefore;
      synchronized (failures) {
        assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " failed requests");
      }
      assertTrue(rotations >= 80, "rotated " + rotations + " times in " + LOAD_MILLIS + " ms");
      assertTrue(ok.get() > 500, "requests completed: " + ok.get());
      assertEquals(0.0, client.metrics().failures(), "tunnel failures on the client sidecar");
      assertEquals(0.0, s1.metrics().failures() + s2.metrics().failures(), "tunnel failures on the servers");
      System.out.printf("HTTP under rotation: %d requests in %d ms across %.0f rotations, 0 failed%n", ok.get(),
          LOAD_MILLIS, rotations);
    } finally {
      await(vertx.close());
    }
  }

  /** One worker: alternating GETs and small POSTs until {@code end}. */
  private static void loop(io.vertx.core.http.HttpClient http, int port, int worker, long end, AtomicInteger ok,
                           List<String> failures, Promise<Void> done) {
    if (System.currentTimeMillis() >= end) {
      done.complete();
      return;
    }
    int n = ok.get();
    boolean post = (n + worker) % 2 == 0;
    String body = "worker " + worker + " request " + n;
    http.request(post ? HttpMethod.POST : HttpMethod.GET, port, "127.0.0.1", post ? "/echo" : "/hello/" + worker)
        .compose(req -> post ? req.send(Buffer.buffer(body)) : req.send())
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200 || (post && !b.toString().equals(body))) {
            throw new IllegalStateException(resp.statusCode() + " " + b);
          }
          return null;
        }))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            ok.incrementAndGet();
          } else {
            synchronized (failures) {
              failures.add(ar.cause().toString());
            }
          }
          loop(http, port, worker, end, ok, failures, done);
        });
  }
}
