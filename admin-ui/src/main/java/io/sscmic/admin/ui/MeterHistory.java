package io.sscmic.admin.ui;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Set;

/**
 * The last 15 minutes of the dashboard's charts, one point a second, kept on the admin server so
 * that a reloaded page shows its history at once. Each point is derived from the meter totals
 * ({@link MeterSnapshot}) of that second and of {@value #WINDOW_SECONDS} seconds before: rates per
 * second, and the HTTP golden signals per service and per route (request rate, success rate,
 * p50/p95/p99 from the latency histogram's buckets over that window).
 */
final class MeterHistory {
  static final int POINTS = 15 * 60;
  static final int WINDOW_SECONDS = 10;
  /** The outcomes counted as failed, as in the SscmicHttpErrorRate alert. */
  static final Set<String> FAILED = Set.of("5xx", "no_route", "no_peer", "timeout", "upstream", "connect");

  private final Deque<JsonObject> totals = new ArrayDeque<>();
  /**
   * Kept encoded: a point as a JsonObject (nested maps, boxed numbers) costs about 2 KB, its JSON
   * text a few hundred bytes; the history is decoded only when a page loads it.
   */
  private final Deque<String> points = new ArrayDeque<>();
  private JsonObject latest;
  private JsonArray latestEdges;
  private JsonObject latestRoutes;

  /** Adds the totals of one second and answers the point derived from them. */
  synchronized JsonObject add(JsonObject now) {
    JsonObject previous = totals.peekLast();
    totals.addLast(now);
    // The oldest totals within the window (the window may be shorter right after start).
    while (totals.size() > 1 && now.getLong("at") - totals.peekFirst().getLong("at") > WINDOW_SECONDS * 1000L + 500) {
      totals.removeFirst();
    }
    JsonObject point = derive(now, previous, totals.peekFirst());
    // The edges and the per-route signals go with the latest point only (the table shows the
    // latest; the charts are per service): 64 peers or many routes a second for 15 minutes would be
    // megabytes.
    latestEdges = (JsonArray) point.remove("edges");
    latestRoutes = (JsonObject) point.remove("httpRoutes");
    latest = point;
    points.addLast(point.encode());
    while (points.size() > POINTS) {
      points.removeFirst();
    }
    return latest();
  }

  synchronized JsonArray points() {
    JsonArray all = new JsonArray();
    for (Iterator<String> it = points.iterator(); it.hasNext(); ) {
      all.add(new JsonObject(it.next()));
    }
    return all;
  }

  /** The newest point with the topology's edges and the per-route HTTP signals, or null before the first. */
  synchronized JsonObject latest() {
    return latest == null ? null : latest.copy().put("edges", latestEdges == null ? new JsonArray() : latestEdges)
        .put("httpRoutes", latestRoutes == null ? new JsonObject() : latestRoutes);
  }

  static JsonObject derive(JsonObject now, JsonObject previous, JsonObject windowStart) {
    JsonObject p = new JsonObject().put("t", now.getLong("at"));
    p.put("connectionsActive", now.getLong("connectionsActive"));
    if (previous == null) {
      return p;
    }
    double dt = Math.max(0.001, (now.getLong("at") - previous.getLong("at")) / 1000.0);
    JsonObject bytes = now.getJsonObject("bytes");
    JsonObject before = previous.getJsonObject("bytes");
    p.put("bytesSent", (bytes.getLong("sent") - before.getLong("sent")) / dt)
        .put("bytesReceived", (bytes.getLong("received") - before.getLong("received")) / dt)
        .put("connectionsNew", (now.getLong("connectionsOpened") - previous.getLong("connectionsOpened")) / dt);
    JsonObject failures = new JsonObject();
    JsonObject f = now.getJsonObject("failures");
    JsonObject g = previous.getJsonObject("failures");
    for (String reason : f.fieldNames()) {
      long more = f.getLong(reason) - g.getLong(reason, 0L);
      if (more > 0) { // sparse: twenty reasons at zero in every point would triple the ring's size
        failures.put(reason, more / dt);
      }
    }
    p.put("failures", failures);
    double window = Math.max(0.001, (now.getLong("at") - windowStart.getLong("at")) / 1000.0);
    JsonObject handshakes = Histogram.delta(now.getJsonObject("handshakeLatency"),
        windowStart.getJsonObject("handshakeLatency"));
    p.put("handshake", percentiles(handshakes));
    JsonObject http = new JsonObject();
    JsonObject services = now.getJsonObject("http", new JsonObject());
    JsonObject servicesBefore = windowStart.getJsonObject("http", new JsonObject());
    for (String service : services.fieldNames()) {
      http.put(service, signals(services.getJsonObject(service), servicesBefore.getJsonObject(service), window));
    }
    // The same signals per route, for the HTTP table (a route's row names its service and route).
    JsonObject routes = new JsonObject();
    JsonObject routesNow = now.getJsonObject("httpRoutes", new JsonObject());
    JsonObject routesBefore = windowStart.getJsonObject("httpRoutes", new JsonObject());
    for (String key : routesNow.fieldNames()) {
      JsonObject r = routesNow.getJsonObject(key);
      routes.put(key, signals(r, routesBefore.getJsonObject(key), window)
          .put("service", r.getString("service")).put("route", r.getString("route")));
    }
    p.put("httpRoutes", routes);
    p.put("http", http).put("windowSeconds", window);
    p.put("edges", edges(now, windowStart, window));
    return p;
  }

  /**
   * The topology's edges of this node over the window: streams opened per second, the share of
   * attempts that did not fail, and latency. A peer on tunnel v2 is named by its authenticated node
   * id ({@code kind: "node"}, from {@code sscmic_mux_*}), with an edge per direction it was used in:
   * {@code outbound} (this node to the peer; latency: the mean time to the peer's answer to a
   * stream, {@code sscmic_mux_stream_answer_seconds}) and {@code inbound} (the peer to this node;
   * latency measured by the caller only, so null here); no per-node byte counts, so throughput is
   * null. A v1 peer keeps its address ({@code kind: "address"}, host:port for a configured peer,
   * the source host for one that called in) from {@code sscmic_peer_*}, with bytes both ways and the
   * mean handshake time as latency ({@code sscmic_peer_handshake_seconds}). Latency is null without
   * a measurement in the window.
   */
  static JsonArray edges(JsonObject now, JsonObject windowStart, double window) {
    JsonArray edges = new JsonArray();
    JsonObject self = new JsonObject().put("kind", "node").put("id", now.getString("node"));
    JsonObject nodes = now.getJsonObject("peerNodes", new JsonObject());
    JsonObject nodesBefore = windowStart.getJsonObject("peerNodes", new JsonObject());
    for (String id : nodes.fieldNames().stream().sorted().toList()) {
      JsonObject p = nodes.getJsonObject(id);
      JsonObject b = nodesBefore.getJsonObject(id, new JsonObject());
      JsonObject peer = new JsonObject().put("kind", "node").put("id", id);
      boolean out = p.getLong("opened_outbound", 0L) + p.getLong("failed_outbound", 0L) > 0;
      boolean in = p.getLong("opened_inbound", 0L) + p.getLong("failed_inbound", 0L) > 0;
      if (out || !in) { // a peer with a connection and no stream yet shows as this node's, idle
        edges.add(nodeEdge(self, peer, "outbound", p, b, window,
            mean(p, b, "answers", "answerMillis")));
      }
      if (in) {
        edges.add(nodeEdge(peer, self, "inbound", p, b, window, null));
      }
    }
    JsonObject peers = now.getJsonObject("peers", new JsonObject());
    JsonObject before = windowStart.getJsonObject("peers", new JsonObject());
    for (String label : peers.fieldNames().stream().sorted().toList()) {
      JsonObject p = peers.getJsonObject(label);
      JsonObject b = before.getJsonObject(label, new JsonObject());
      long opened = p.getLong("opened", 0L) - b.getLong("opened", 0L);
      long failed = p.getLong("failures", 0L) - b.getLong("failures", 0L);
      long bytes = p.getLong("sent", 0L) - b.getLong("sent", 0L) + p.getLong("received", 0L)
          - b.getLong("received", 0L);
      edges.add(new JsonObject()
          .put("from", self)
          .put("to", new JsonObject().put("kind", "address").put("id", label))
          .put("direction", "both")
          .put("streamsPerSecond", opened / window).put("bytesPerSecond", bytes / window)
          .put("failuresPerSecond", failed / window)
          .put("success", opened + failed == 0 ? null : opened / (double) (opened + failed))
          .put("latencyMs", mean(p, b, "handshakes", "handshakeMillis"))
          .put("streamsSinceStart", p.getLong("opened", 0L)));
    }
    return edges;
  }

  /** One direction of a v2 peer's edge, from its {@code opened_<direction>} and {@code failed_<direction>} totals. */
  private static JsonObject nodeEdge(JsonObject from, JsonObject to, String direction, JsonObject p, JsonObject b,
                                     double window, Double latencyMs) {
    long opened = p.getLong("opened_" + direction, 0L) - b.getLong("opened_" + direction, 0L);
    long failed = p.getLong("failed_" + direction, 0L) - b.getLong("failed_" + direction, 0L);
    return new JsonObject().put("from", from).put("to", to).put("direction", direction)
        .put("streamsPerSecond", opened / window).putNull("bytesPerSecond")
        .put("failuresPerSecond", failed / window)
        .put("success", opened + failed == 0 ? null : opened / (double) (opened + failed))
        .put("latencyMs", latencyMs)
        .put("streamsSinceStart", p.getLong("opened_" + direction, 0L));
  }

  /** The mean of a count/sum pair over the window (ms), or null without a measurement in it. */
  private static Double mean(JsonObject peer, JsonObject before, String count, String millis) {
    long n = peer.getLong(count, 0L) - before.getLong(count, 0L);
    return n <= 0 ? null : (peer.getDouble(millis, 0.0) - before.getDouble(millis, 0.0)) / n;
  }

  /**
   * Request rate, success rate and p50/p95/p99 over the window, from the totals of a service or a
   * route now and at the window's start (null: none then).
   */
  private static JsonObject signals(JsonObject s, JsonObject b, double window) {
    b = b == null ? new JsonObject() : b;
    long requests = 0;
    long failed = 0;
    JsonObject outcomes = s.getJsonObject("outcomes");
    JsonObject outcomesBefore = b.getJsonObject("outcomes", new JsonObject());
    for (String outcome : outcomes.fieldNames()) {
      long n = outcomes.getLong(outcome) - outcomesBefore.getLong(outcome, 0L);
      requests += n;
      if (FAILED.contains(outcome)) {
        failed += n;
      }
    }
    JsonObject latency = Histogram.delta(s.getJsonObject("latency"), b.getJsonObject("latency"));
    return percentiles(latency).put("requests", requests).put("rate", requests / window)
        .put("success", requests == 0 ? null : (requests - failed) / (double) requests);
  }

  private static JsonObject percentiles(JsonObject histogram) {
    return new JsonObject().put("p50", Histogram.quantileMillis(histogram, 0.5))
        .put("p95", Histogram.quantileMillis(histogram, 0.95)).put("p99", Histogram.quantileMillis(histogram, 0.99));
  }

  /**
   * The node's health as the banner shows it: {@code ok}, {@code failing} (a service's success rate
   * under 95 % over the window with at least 5 requests, or the node not answering), {@code
   * draining} or {@code not_ready}; with one line per reason.
   */
  static JsonObject health(JsonObject status, JsonObject point) {
    JsonArray reasons = new JsonArray();
    String state = "ok";
    if (status.getString("error") != null) {
      state = "failing";
      reasons.add(status.getString("error"));
    }
    JsonObject http = point == null ? null : point.getJsonObject("http");
    if (http != null) {
      for (String service : http.fieldNames().stream().sorted().toList()) {
        JsonObject s = http.getJsonObject(service);
        Double success = s.getDouble("success");
        if (success != null && s.getLong("requests") >= 5 && success < 0.95) {
          state = "failing";
          reasons.add(String.format(java.util.Locale.ROOT, "HTTP service %s: %.0f %% of %d requests succeeded in the "
              + "last %.0f s", service, success * 100, s.getLong("requests"), point.getDouble("windowSeconds")));
        }
      }
    }
    if (status.getBoolean("draining", false)) {
      state = state.equals("ok") ? "draining" : state;
      reasons.add("draining: new connections are refused, /readyz answers 503 (undrain in Actions)");
    } else if (status.containsKey("ready") && !status.getBoolean("ready", false)) {
      state = state.equals("ok") ? "not_ready" : state;
      reasons.add("not ready: no key state yet (see the key state card)");
    }
    return new JsonObject().put("state", state).put("reasons", reasons);
  }
}
