package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's golden signals from a real Prometheus meter registry: percentiles from the
 * latency buckets agree with what {@code histogram_quantile} computes, the success rate counts the
 * same outcomes as the SscmicHttpErrorRate alert, and every request answered 503 turns the banner
 * to "failing".
 */
class MeterHistoryTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer latency = Timer.builder("sscmic.http.request.duration").tag("node", "n").tag("service", "orders")
      .serviceLevelObjectives(LongStream.of(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000).mapToObj(Duration::ofMillis)
          .toArray(Duration[]::new)).register(registry);

  private Counter outcome(String outcome) {
    return Counter.builder("sscmic.http.requests").tag("node", "n").tag("service", "orders").tag("outcome", outcome)
        .register(registry);
  }

  private JsonObject take(long at) {
    return new MeterSnapshot(registry, "n").take().put("at", at);
  }

  @Test
  void percentilesComeFromTheBucketsOfTheWindowAsHistogramQuantileComputesThem() {
    MeterHistory history = new MeterHistory();
    // Before the window: slow requests that must not count.
    for (int i = 0; i < 100; i++) {
      latency.record(Duration.ofMillis(900));
    }
    history.add(take(0));
    // In the window: 90 at 3 ms (bucket 2-5 ms), 10 at 40 ms (bucket 25-50 ms).
    for (int i = 0; i < 90; i++) {
      latency.record(Duration.ofMillis(3));
    }
    for (int i = 0; i < 10; i++) {
      latency.record(Duration.ofMillis(40));
    }
    outcome("2xx").increment(100);
    JsonObject point = history.add(take(10_000)).getJsonObject("http").getJsonObject("orders");
    // p50: rank 50 of 90 in (2, 5] ms -> 2 + 3 * 50/90; p95: rank 95, 5 of 10 in (25, 50] -> 37.5.
    assertEquals(2 + 3 * 50 / 90.0, point.getDouble("p50"), 1e-9);
    assertEquals(37.5, point.getDouble("p95"), 1e-9);
    assertEquals(100, point.getLong("requests"));
    assertEquals(10.0, point.getDouble("rate"), 1e-9, "100 requests in 10 s");
    assertEquals(1.0, point.getDouble("success"), 1e-9);
  }

  @Test
  void everyRequestAnswered503IsFailingOnTheBannerAndANodeWithoutRequestsIsNot() {
    MeterHistory history = new MeterHistory();
    history.add(take(0));
    JsonObject quiet = history.add(take(1000));
    JsonObject ready = new JsonObject().put("ready", true).put("draining", false);
    assertEquals("ok", MeterHistory.health(ready, quiet).getString("state"));
    assertNull(quiet.getJsonObject("http").getJsonObject("orders").getDouble("success"), "no requests: no rate");

    outcome("5xx").increment(40);
    latency.record(Duration.ofMillis(2));
    JsonObject failing = history.add(take(2000));
    JsonObject orders = failing.getJsonObject("http").getJsonObject("orders");
    assertEquals(0.0, orders.getDouble("success"), 1e-9);
    JsonObject health = MeterHistory.health(ready, failing);
    assertEquals("failing", health.getString("state"));
    assertTrue(health.getJsonArray("reasons").getString(0).startsWith("HTTP service orders: 0 % of 40 requests"),
        health.encode());
    // Draining on top of failing: both reasons, the worse state.
    JsonObject both = MeterHistory.health(new JsonObject().put("ready", false).put("draining", true), failing);
    assertEquals("failing", both.getString("state"));
    assertEquals(2, both.getJsonArray("reasons").size());
    assertEquals("draining", MeterHistory.health(new JsonObject().put("ready", false).put("draining", true), quiet)
        .getString("state"));
    assertEquals("not_ready", MeterHistory.health(new JsonObject().put("ready", false), quiet).getString("state"));
  }

  @Test
  void theRingKeepsFifteenMinutesOfPoints() {
    MeterHistory history = new MeterHistory();
    for (int i = 0; i < MeterHistory.POINTS + 100; i++) {
      history.add(take(i * 1000L));
    }
    assertEquals(MeterHistory.POINTS, history.points().size());
    assertEquals(100_000L, history.points().getJsonObject(0).getLong("t"), "the oldest 100 seconds are gone");
  }

  /**
   * Issue 19: a service with two routes, one healthy and one answering 503: the HTTP table's rows
   * are per route (the failing route at 0 %, not hidden in the service's 50 %), the service's
   * figures are the sum of its routes, and only the latest point carries the rows.
   */
  @Test
  void signalsPerRouteBesideTheServiceTheirSum() {
    // A registry of its own: Prometheus wants one set of label names per metric (this one has route).
    PrometheusMeterRegistry routed = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    java.util.function.LongFunction<JsonObject> take = at -> new MeterSnapshot(routed, "n").take().put("at", at);
    Timer api = routeTimer(routed, "api");
    Timer admin = routeTimer(routed, "admin");
    MeterHistory history = new MeterHistory();
    history.add(take.apply(0));
    for (int i = 0; i < 10; i++) {
      api.record(Duration.ofMillis(3));
      admin.record(Duration.ofMillis(40));
    }
    routeOutcome(routed, "api", "2xx").increment(10);
    routeOutcome(routed, "admin", "5xx").increment(10);
    JsonObject point = history.add(take.apply(10_000));
    JsonObject rows = point.getJsonObject("httpRoutes");
    assertEquals(1.0, rows.getJsonObject("orders api").getDouble("success"), 1e-9);
    assertEquals(0.0, rows.getJsonObject("orders admin").getDouble("success"), 1e-9);
    assertEquals("admin", rows.getJsonObject("orders admin").getString("route"));
    assertEquals("orders", rows.getJsonObject("orders admin").getString("service"));
    assertTrue(rows.getJsonObject("orders admin").getDouble("p50") > 25, "the slow route's own p50");
    assertTrue(rows.getJsonObject("orders api").getDouble("p99") <= 5, "the fast route's own p99");
    JsonObject service = point.getJsonObject("http").getJsonObject("orders");
    assertEquals(20, service.getLong("requests"));
    assertEquals(0.5, service.getDouble("success"), 1e-9);
    assertEquals(null, history.points().getJsonObject(1).getValue("httpRoutes"), "rows are not kept in the ring");
  }

  private static Timer routeTimer(PrometheusMeterRegistry routed, String route) {
    return Timer.builder("sscmic.http.request.duration").tag("node", "n").tag("service", "orders").tag("route", route)
        .serviceLevelObjectives(LongStream.of(1, 2, 5, 10, 25, 50, 100).mapToObj(Duration::ofMillis)
            .toArray(Duration[]::new)).register(routed);
  }

  private static Counter routeOutcome(PrometheusMeterRegistry routed, String route, String outcome) {
    return Counter.builder("sscmic.http.requests").tag("node", "n").tag("service", "orders").tag("route", route)
        .tag("outcome", outcome).register(routed);
  }
}
