package io.sscmic.gateway.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.gateway.node.PrometheusServer;
import io.sscmic.gateway.process.Runtimes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana/sscmic-dashboard.json against a running mesh: the demo (authority, alpha with an
 * HTTP listener, beta), traffic through every path, a scheduled re-seed and a peer going away; then
 * a real Prometheus scrapes the three admin ports and must hold a series for every metric name a
 * panel uses (Prometheus parses the text: a name the exposition spells differently is not found).
 * Every rate uses {@code $__rate_interval}, and the panels cover HTTP, peers, the authority,
 * certificates and the JVM.
 */
class GrafanaDashboardTest {
  /** Series that only an event this test does not cause creates, each with the event. */
  private static final Map<String, String> ON_EVENT_ONLY = Map.of(
      "sscmic_authority_key_conflicts_total", "a node id seen with two keys (a copied node key)",
      "sscmic_http_retries_total", "an idempotent request retried on a second peer (the demo has one per service)");
  private static final Pattern METRIC = Pattern.compile("\\b((?:sscmic|jvm|process|vertx)_[a-z0-9_]+)\\b");

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void everyMetricTheDashboardUsesIsInALiveScrapeOfTheDemoMesh(@TempDir Path dir) throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("..", "deploy", "grafana", "sscmic-dashboard.json")));
    TreeSet<String> names = new TreeSet<>();
    List<String> titles = new ArrayList<>();
    for (Object o : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) o;
      titles.add(panel.getString("title"));
      for (Object t : panel.getJsonArray("targets", new io.vertx.core.json.JsonArray())) {
        String expr = ((JsonObject) t).getString("expr");
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
          names.add(m.group(1).replaceAll("_(bucket|sum|count)$", ""));
        }
        // Fixed windows over- or under-sample at other scrape intervals; $__rate_interval adapts.
        Matcher rate = Pattern.compile("\\b(?:rate|irate)\\([^\\[]*\\[([^\\]]+)\\]").matcher(expr);
        while (rate.find()) {
          assertEquals("$__rate_interval", rate.group(1), "panel '" + panel.getString("title") + "': " + expr);
        }
      }
    }
    for (String section : List.of("HTTP", "Peers", "Authority", "Certificates", "JVM")) {
      assertTrue(titles.stream().anyMatch(t -> t.contains(section)), "a row for " + section + ": " + titles);
    }
    assertTrue(names.size() >= 30, "metric names in the dashboard: " + names);

    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      DemoPorts ports = DemoTest.freePorts();
      Demo.Mesh mesh = await(Demo.start(vertx, Duration.ofSeconds(1), ports, registry));
      HttpClient http = vertx.createHttpClient();
      for (int i = 0; i < 5; i++) {
        assertEquals("hello over HTTP mode\n", await(http.request(HttpMethod.POST, ports.httpListener(), "127.0.0.1",
            "/echo").compose(req -> req.send(Buffer.buffer("hello over HTTP mode"))).compose(r -> r.body())).toString());
      }
      // Through alpha's TCP route to echo, a tunnel v2 stream to beta: the per-peer-node series
      // (sscmic_mux_*, the v2 topology table) exist from its first stream.
      assertEquals("hello through the tunnel\n", await(http.request(HttpMethod.POST, ports.toEcho(), "127.0.0.1", "/")
          .compose(req -> req.send(Buffer.buffer("hello through the tunnel"))).compose(r -> r.body())).toString());
      // A re-seed announced (sscmic_keysyn_reseed_epoch exists only while one is ahead).
      JsonObject reseed = await(vertx.eventBus().<JsonObject>request(AdminAddresses.action("authority", "reseed"),
          new JsonObject())).body();
      assertTrue(reseed.getBoolean("ok"), reseed.encode());
      try (PrometheusServer prometheus = new PrometheusServer(dir, List.of(ports.alphaAdmin(), ports.betaAdmin(),
          ports.authorityAdmin()))) {
        prometheus.awaitValue("count(up{job=\"sscmic\"} == 1)", 3);
        prometheus.awaitValue("count(sscmic_keysyn_reseed_epoch{node=\"authority\"})", 1);
        // beta goes away: alpha's HTTP requests fail, alpha counts the unreachable peer and ejects it.
        await(mesh.nodes().get(1).stop());
        for (int i = 0; i < 6; i++) {
          int status = await(http.request(HttpMethod.POST, ports.httpListener(), "127.0.0.1", "/echo")
              .compose(req -> req.send(Buffer.buffer("x"))).map(r -> r.statusCode()));
          assertTrue(status >= 500, "with beta gone: " + status);
        }
        List<String> missing = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        do {
          missing.clear();
          for (String name : names) {
            if (!ON_EVENT_ONLY.containsKey(name) && prometheus.query("count({__name__=~\"" + name
                + "(_bucket|_sum|_count)?\"})").isEmpty()) {
              missing.add(name);
            }
          }
          if (!missing.isEmpty()) {
            // jvm_gc_pause_seconds has a series only once a collection ran in this JVM (the demo's):
            // a quiet test JVM may have had none yet. A requested one is a real pause, as any.
            System.gc();
            Thread.sleep(500);
          }
        } while (!missing.isEmpty() && System.nanoTime() < deadline);
        assertEquals(List.of(), missing, "dashboard metrics with no series in a live scrape of the demo");
        String documented = Files.readString(Path.of("..", "docs", "OPERATIONS.md"));
        for (String name : ON_EVENT_ONLY.keySet()) {
          assertTrue(names.contains(name), "still used: " + name);
          assertTrue(documented.contains("`" + name + "`"), name + " in OPERATIONS.md's metrics reference");
        }
        assertFalse(prometheus.query("sscmic_http_requests_total{outcome!~\"2xx\"}").isEmpty(), "failures counted");
      } finally {
        await(mesh.stop());
      }
    } finally {
      await(vertx.close());
    }
  }
}
