package io.sscmic.gateway.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.mux.RecordSecureLayer;
import io.sscmic.gateway.mux.Role;
import io.sscmic.gateway.record.HandshakeCompleted;
import io.sscmic.gateway.record.RecordLayerClosed;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's tunnel v2 handshake and record-layer meters, fed by the record layer's observer:
 * {@code sscmic_v2_handshakes_total{role,suite,outcome}} (outcome {@code ok} or the refusal's
 * reason), {@code sscmic_v2_handshake_duration_seconds{role}} (verified handshakes, from the first
 * byte to verified) and {@code sscmic_v2_closed_total{reason,origin,phase}} (every connection the
 * record layer ended for a reason). Every label comes from a closed enum, so the series are
 * bounded; per-peer series (by node id) are the multiplexer's ({@code sscmic_mux_*}).
 */
final class V2Metrics implements RecordSecureLayer.Observer {
  private final MeterRegistry registry;
  private final String node;
  private final Map<String, Counter> handshakes = new ConcurrentHashMap<>();
  private final Map<String, Counter> closes = new ConcurrentHashMap<>();
  private final Map<Role, Timer> durations = new ConcurrentHashMap<>();

  V2Metrics(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
    for (Role role : Role.values()) {
      handshake(role, "none", "ok"); // present from the start, so a dashboard sees zero, not nothing
      duration(role);
    }
  }

  @Override
  public void handshakeCompleted(Role role, HandshakeCompleted done) {
    handshake(role, suite(done.suite()), "ok").increment();
    duration(role).record(done.elapsed());
  }

  @Override
  public void closed(Role role, RecordLayerClosed closed) {
    String origin = closed.origin().name().toLowerCase(Locale.ROOT);
    String phase = closed.duringHandshake() ? "handshake" : "established";
    closes.computeIfAbsent(closed.reason().label() + "/" + origin + "/" + phase, k -> Counter.builder("sscmic.v2.closed")
        .description("Tunnel v2 connections the record layer ended, by reason, origin (local: this node refused; peer: "
            + "an authenticated ALERT; peer_unauthenticated: a clear alert or a v1 REFUSE) and phase")
        .tag("node", node).tag("reason", closed.reason().label()).tag("origin", origin).tag("phase", phase)
        .register(registry)).increment();
    if (closed.duringHandshake()) {
      handshake(role, "none", closed.reason().label()).increment();
    }
  }

  private Counter handshake(Role role, String suite, String outcome) {
    String r = role == Role.CLIENT ? "initiator" : "responder";
    return handshakes.computeIfAbsent(r + "/" + suite + "/" + outcome, k -> Counter.builder("sscmic.v2.handshakes")
        .description("Tunnel v2 handshakes by role (initiator: this node dialled), cipher suite and outcome (ok, or "
            + "the reason it failed)")
        .tag("node", node).tag("role", r).tag("suite", suite).tag("outcome", outcome).register(registry));
  }

  private Timer duration(Role role) {
    return durations.computeIfAbsent(role, r -> Timer.builder("sscmic.v2.handshake.duration")
        .description("Time of verified tunnel v2 handshakes, from the first handshake byte to verified")
        .tag("node", node).tag("role", r == Role.CLIENT ? "initiator" : "responder")
        .serviceLevelObjectives(io.sscmic.gateway.tunnel.TunnelMetrics.handshakeBuckets())
        .register(registry));
  }

  private static String suite(CipherSuite s) {
    return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Verified handshakes in this role so far (tests, status). */
  double completed(Role role) {
    String r = role == Role.CLIENT ? "initiator" : "responder";
    double n = 0;
    for (Map.Entry<String, Counter> e : handshakes.entrySet()) {
      if (e.getKey().startsWith(r + "/") && e.getKey().endsWith("/ok")) {
        n += e.getValue().count();
      }
    }
    return n;
  }
}
