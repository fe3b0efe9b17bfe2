package io.sscmic.gateway.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.tunnel.PeerMetrics;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyScheduleGauges;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What a node tells its admin port: status and readiness as JSON, and the key-schedule gauges.
 * Epoch numbers and timing only: never a key, a key id or a fingerprint.
 */
final class NodeStatus {
  private volatile NodeConfig config;
  private final EpochClock clock;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final Counter rotations;
  private final KeyScheduleGauges scheduleGauges;
  private final long startedMillis = System.currentTimeMillis();
  private volatile SidecarVerticle sidecar;
  private volatile io.sscmic.keysyn.recovery.AuthorityRecovery authority;
  private volatile io.sscmic.gateway.http.HttpProxyVerticle http;
  private volatile TunnelV2 v2;

  NodeStatus(NodeConfig config, EpochClock clock, KeySchedule schedule, TunnelMetrics metrics, MeterRegistry registry) {
    this.config = config;
    this.clock = clock;
    this.schedule = schedule;
    this.metrics = metrics;
    String node = config.nodeId();
    scheduleGauges = new KeyScheduleGauges(registry, node, schedule);
    Gauge.builder("sscmic.keysyn.next.rotation", clock, c -> c.millisUntilNextEpoch() / 1000.0).baseUnit("seconds")
        .description("Seconds until the next key rotation").tag("node", node).register(registry);
    Gauge.builder("sscmic.keysyn.ready", schedule, s -> s.isReady() ? 1 : 0)
        .description("1 when the node holds a key state").tag("node", node).register(registry);
    // The interval turns the seconds between a scrape and the rule's evaluation into epochs (the
    // skew alert's correction, below).
    Gauge.builder("sscmic.keysyn.interval", clock, c -> c.interval().toMillis() / 1000.0).baseUnit("seconds")
        .description("The key rotation interval (keysyn.interval)").tag("node", node).register(registry);
    // The same time line from one clock read: the epoch and the seconds to the next rotation are
    // two gauges read one after the other, and a rotation between the two reads put a node one
    // epoch off for that scrape (SscmicEpochSkew pending on a healthy mesh). The skew alert reads this.
    Gauge.builder("sscmic.keysyn.clock.epochs", clock, c -> (c.nowMillis() - c.genesis().toEpochMilli())
            / (double) c.interval().toMillis())
        .description("This node's clock in epochs since genesis, with the fraction of the current one: what"
            + " SscmicEpochSkew compares across nodes").tag("node", node).register(registry);
    Gauge.builder("sscmic.node.draining", this, st -> st.sidecar != null && st.sidecar.draining() ? 1 : 0)
        .description("1 while the node drains (dashboard action): it refuses new connections and is not ready")
        .tag("node", node).register(registry);
    rotations = Counter.builder("sscmic.keysyn.rotations").description("Key rotations performed by this node")
        .tag("node", node).register(registry);
  }

  /** Tunnel v2 is up (null: the node speaks v1 only). */
  void v2Up(TunnelV2 tunnelV2) {
    this.v2 = tunnelV2;
  }

  void rotated() {
    scheduleGauges.refresh();
    rotations.increment();
  }

  double rotations() {
    return rotations.count();
  }

  /** The node's key state comes from the authority: its dashboard shows the certificate and the last contact. */
  void authorityUp(io.sscmic.keysyn.recovery.AuthorityRecovery r) {
    this.authority = r;
  }

  /**
   * The node's key lifecycle, timestamps to the second: the announced re-seed still ahead (its
   * epoch and seconds to it), the node certificate's expiry and the authority's last answer (nodes
   * that recover from the authority).
   */
  private JsonObject keyLifecycle(KeyState state) {
    JsonObject keys = new JsonObject();
    Long reseed = KeyScheduleGauges.upcomingReseed(schedule);
    if (reseed != null && state != null) {
      double seconds = (reseed - state.epoch() - 1) * (clock.interval().toMillis() / 1000.0)
          + clock.millisUntilNextEpoch() / 1000.0;
      keys.put("reseedEpoch", reseed).put("secondsToReseed", seconds);
    }
    io.sscmic.keysyn.recovery.AuthorityRecovery a = authority;
    if (a != null) {
      keys.put("certificateExpiry", second(a.certificateExpiry())).put("lastAuthorityContact", second(a.lastContact()));
    }
    return keys;
  }

  private static String second(java.time.Instant at) {
    return at == null ? null : at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  void httpUp(io.sscmic.gateway.http.HttpProxyVerticle h) {
    this.http = h;
  }

  void sidecarUp(SidecarVerticle s) {
    scheduleGauges.refresh(); // the key state is in: sscmic_keysyn_epoch from now on
    this.sidecar = s;
  }

  /** A config reload took effect: routes and services shown from now on are the new ones. */
  synchronized void reconfigured(NodeConfig c, SidecarVerticle s) {
    this.config = c;
    this.sidecar = s;
  }

  /** The dashboard's drain action: answers {ok, message} for the operator. */
  JsonObject drain() {
    SidecarVerticle s = sidecar;
    if (s == null) {
      return new JsonObject().put("ok", false).put("message", "the node is still starting; nothing to drain");
    }
    if (s.draining()) {
      return new JsonObject().put("ok", true).put("message", "already draining");
    }
    s.drain();
    if (http != null) {
      http.drain();
    }
    return new JsonObject().put("ok", true).put("message", "draining: new connections are refused and /readyz "
        + "answers 503; open connections may run on for up to " + SidecarVerticle.DRAIN.toSeconds() + "s");
  }

  JsonObject readiness() {
    boolean keys = schedule.isReady();
    boolean listeners = sidecar != null && !sidecar.draining();
    return new JsonObject()
        .put("ready", keys && listeners)
        .put("checks", new JsonObject().put("keyState", keys).put("listeners", listeners));
  }

  JsonObject status() {
    scheduleGauges.refresh();
    NodeConfig config;
    SidecarVerticle sidecar;
    synchronized (this) { // a reload swaps both together: never new routes with the old listeners' ports
      config = this.config;
      sidecar = this.sidecar;
    }
    KeyState state = schedule.current();
    JsonObject tunnel = new JsonObject()
        .put("cipher", config.tunnel().cipher().name())
        .put("services", new JsonArray(config.services().keySet().stream().sorted().toList()));
    if (config.tunnel().listen() != null && sidecar != null) {
      tunnel.put("listen", config.tunnel().listen().host() + ":" + sidecar.tunnelPort());
    }
    JsonArray routes = new JsonArray();
    for (OutboundRoute r : config.outbound()) {
      JsonObject route = new JsonObject().put("service", r.service()).put("peer", r.peer() == null ? null
          : r.peer().host() + ":" + r.peer().port());
      if (sidecar != null) {
        route.put("listen", r.listen().host() + ":" + sidecar.outboundPort(r.service()));
      }
      routes.add(route);
    }
    JsonObject failures = new JsonObject();
    for (FailureReason reason : FailureReason.values()) {
      failures.put(reason.label(), (long) metrics.failures(reason));
    }
    return new JsonObject()
        .put("node", config.nodeId())
        .put("role", "node")
        .put("ready", readiness().getBoolean("ready"))
        .put("draining", sidecar != null && sidecar.draining())
        .put("uptimeSeconds", (System.currentTimeMillis() - startedMillis) / 1000)
        .put("epoch", state == null ? null : state.epoch())
        .put("tc", state == null ? null : state.tc())
        .put("intervalSeconds", clock.interval().toMillis() / 1000.0)
        .put("secondsToNextRotation", clock.millisUntilNextEpoch() / 1000.0)
        .put("genesis", clock.genesis().toString())
        .put("keys", keyLifecycle(state))
        .put("tunnel", tunnel)
        .put("routes", routes)
        .put("connections", new JsonObject()
            .put("inbound", metrics.active(TunnelMetrics.Side.INBOUND))
            .put("outbound", metrics.active(TunnelMetrics.Side.OUTBOUND)))
        .put("failures", failures)
        .put("peers", peers())
        .put("v2", v2Status(config));
  }

  /**
   * Tunnel v2: what this node dials, and each authenticated peer (by node id, as in sscmic_mux_*)
   * with its connections and open streams both ways. Null for a node without a certificate.
   */
  private JsonObject v2Status(NodeConfig config) {
    TunnelV2 t = v2;
    if (t == null) {
      return null;
    }
    JsonArray peers = new JsonArray();
    for (io.sscmic.gateway.mux.MuxMetrics.Peer p : t.muxMetrics().peers()) {
      peers.add(new JsonObject()
          .put("node", p.label())
          .put("connections", p.connections())
          .put("streamsOutbound", p.activeStreams(io.sscmic.gateway.mux.Role.CLIENT))
          .put("streamsInbound", p.activeStreams(io.sscmic.gateway.mux.Role.SERVER))
          .put("streamsOpened", (long) (p.opened(io.sscmic.gateway.mux.Role.CLIENT)
              + p.opened(io.sscmic.gateway.mux.Role.SERVER))));
    }
    return new JsonObject()
        .put("dials", config.v2().version().name().toLowerCase(java.util.Locale.ROOT))
        .put("poolConnections", t.muxMetrics().poolConnections())
        .put("peers", peers);
  }

  /** Each peer's health, open streams, bytes and recent failures (labels as in sscmic_peer_*). */
  private JsonArray peers() {
    JsonArray peers = new JsonArray();
    for (PeerMetrics.Peer p : metrics.peers().all()) {
      JsonArray recent = new JsonArray();
      for (PeerMetrics.RecentFailure f : p.recentFailures()) {
        recent.add(new JsonObject().put("at", java.time.Instant.ofEpochMilli(f.atMillis()).toString())
            .put("reason", f.reason().label()));
      }
      peers.add(new JsonObject()
          .put("peer", p.label())
          .put("health", p.health().label())
          .put("connections", p.connections())
          .put("connectionsOpened", (long) p.connectionsOpened())
          .put("bytesSent", (long) p.bytesSent())
          .put("bytesReceived", (long) p.bytesReceived())
          .put("failures", (long) p.failures())
          .put("recentFailures", recent));
    }
    return peers;
  }
}
