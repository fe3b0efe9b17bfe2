package io.sscmic.admin.ui;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.search.Search;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard's view of one node's meters, read from the shared meter registry by name and the
 * {@code node} tag (the admin UI's only other link to the node besides the event bus). Totals
 * only: the browser turns consecutive snapshots into per-second rates.
 */
final class MeterSnapshot {
  private final MeterRegistry registry;
  private final String node;

  MeterSnapshot(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
  }

  JsonObject take() {
    JsonObject failures = new JsonObject();
    for (Counter c : find("sscmic.tunnel.failures").counters()) {
      failures.put(c.getId().getTag("reason"), (long) c.count());
    }
    long handshakes = 0;
    double handshakeMillis = 0;
    for (Timer t : find("sscmic.tunnel.handshake").timers()) {
      handshakes += t.count();
      handshakeMillis += t.totalTime(TimeUnit.MILLISECONDS);
    }
    // HTTP mode (absent on nodes without an HTTP listener: zeros).
    long httpRequests = 0;
    double httpMillis = 0;
    for (Timer t : find("sscmic.http.request.duration").timers()) {
      httpRequests += t.count();
      httpMillis += t.totalTime(TimeUnit.MILLISECONDS);
    }
    // Per service (the charts and the banner) and per route (the HTTP table): a service's figures
    // are the sum over its routes. Route labels are config (route names), so both stay bounded.
    JsonObject http = new JsonObject();
    JsonObject routes = new JsonObject();
    for (Timer t : find("sscmic.http.request.duration").timers()) {
      String service = t.getId().getTag("service");
      if (service != null) {
        JsonObject latency = histogram(t);
        JsonObject s = signals(http, service, null);
        s.put("latency", Histogram.sum(s.getJsonObject("latency"), latency));
        signals(routes, service, t.getId().getTag("route")).put("latency", latency);
      }
    }
    for (Counter c : find("sscmic.http.requests").counters()) {
      String service = c.getId().getTag("service");
      if (service != null && http.containsKey(service)) {
        String outcome = c.getId().getTag("outcome");
        JsonObject all = http.getJsonObject(service).getJsonObject("outcomes");
        all.put(outcome, all.getLong(outcome, 0L) + (long) c.count());
        signals(routes, service, c.getId().getTag("route")).getJsonObject("outcomes").put(outcome, (long) c.count());
      }
    }
    // Per peer sidecar (labels as in sscmic_peer_*): the topology's edges.
    JsonObject peers = new JsonObject();
    for (Counter c : find("sscmic.peer.connections.opened").counters()) {
      peer(peers, c.getId().getTag("peer")).put("opened", (long) c.count());
    }
    for (Counter c : find("sscmic.peer.bytes").counters()) {
      peer(peers, c.getId().getTag("peer")).put(c.getId().getTag("direction"), (long) c.count());
    }
    for (Timer t : find("sscmic.peer.handshake").timers()) {
      peer(peers, t.getId().getTag("peer")).put("handshakes", t.count())
          .put("handshakeMillis", t.totalTime(TimeUnit.MILLISECONDS));
    }
    for (Counter c : find("sscmic.peer.failures").counters()) {
      JsonObject p = peer(peers, c.getId().getTag("peer"));
      p.put("failures", p.getLong("failures", 0L) + (long) c.count());
    }
    // Per peer node on tunnel v2 (sscmic_mux_*, labelled by the authenticated node id): its edges.
    JsonObject nodes = new JsonObject();
    for (Counter c : find("sscmic.mux.streams.opened").counters()) {
      peer(nodes, c.getId().getTag("peer")).put("opened_" + c.getId().getTag("direction"), (long) c.count());
    }
    for (Counter c : find("sscmic.mux.streams.failed").counters()) {
      peer(nodes, c.getId().getTag("peer")).put("failed_" + c.getId().getTag("direction"), (long) c.count());
    }
    for (Timer t : find("sscmic.mux.stream.answer").timers()) {
      peer(nodes, t.getId().getTag("peer")).put("answers", t.count())
          .put("answerMillis", t.totalTime(TimeUnit.MILLISECONDS));
    }
    JsonObject handshakeLatency = null;
    for (Timer t : find("sscmic.tunnel.handshake").timers()) {
      handshakeLatency = Histogram.sum(handshakeLatency, histogram(t));
    }
    JsonObject bytes = new JsonObject()
        .put("sent", (long) sum("sscmic.tunnel.plaintext.sent"))
        .put("received", (long) sum("sscmic.tunnel.plaintext.received"));
    double active = 0;
    for (Gauge g : find("sscmic.tunnel.connections.active").gauges()) {
      active += g.value();
    }
    return new JsonObject()
        .put("at", System.currentTimeMillis())
        .put("bytes", bytes)
        .put("connectionsActive", (long) active)
        .put("connectionsOpened", (long) sum("sscmic.tunnel.connections.opened"))
        .put("handshakes", handshakes)
        .put("handshakeMillis", handshakeMillis)
        .put("failures", failures)
        .put("httpRequests", httpRequests)
        .put("httpMillis", httpMillis)
        .put("http", http)
        .put("httpRoutes", routes)
        .put("handshakeLatency", handshakeLatency)
        .put("node", node)
        .put("peers", peers)
        .put("peerNodes", nodes)
        .put("loginFailures", (long) sum(DashboardMeters.LOGIN_FAILURES));
  }

  /**
   * The entry of a service ({@code route} null, keyed by the service) or of one of its routes
   * (keyed by service and route), created empty on first use.
   */
  private static JsonObject signals(JsonObject all, String service, String route) {
    String key = route == null ? service : service + " " + route;
    JsonObject s = all.getJsonObject(key);
    if (s == null) {
      s = new JsonObject().put("outcomes", new JsonObject());
      if (route != null) {
        s.put("service", service).put("route", route);
      }
      all.put(key, s);
    }
    return s;
  }

  private static JsonObject peer(JsonObject peers, String label) {
    JsonObject p = peers.getJsonObject(label);
    if (p == null) {
      p = new JsonObject();
      peers.put(label, p);
    }
    return p;
  }

  /** A timer's bucket bounds (seconds) and cumulative counts, and its total count (the +Inf bucket). */
  private static JsonObject histogram(Timer t) {
    CountAtBucket[] buckets = t.takeSnapshot().histogramCounts();
    JsonArray bounds = new JsonArray();
    JsonArray counts = new JsonArray();
    for (CountAtBucket b : buckets) {
      bounds.add(b.bucket(TimeUnit.SECONDS));
      counts.add((long) b.count());
    }
    return new JsonObject().put("bounds", bounds).put("counts", counts).put("count", t.count());
  }

  private double sum(String name) {
    return find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  private Search find(String name) {
    return registry.find(name).tag("node", node);
  }
}
