package io.sscmic.gateway.intercept;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Captured connections: {@code sscmic_intercept_connections_total{node, protocol, outcome}},
 * how their protocol was decided, {@code sscmic_intercept_detections_total{node, how}}, and
 * plaintext refused by inbound capture, {@code sscmic_intercept_plaintext_refused_total{node}}. What
 * happens to a carried connection in the tunnel is in the tunnel's own outbound meters.
 */
public final class InterceptMetrics {
  /** What became of a captured connection. */
  public enum Outcome {
    /** Mapped to a service and handed to the tunnel as a byte stream. */
    CARRIED("carried"),
    /** HTTP, handed to the node's HTTP mode (its requests are in the sscmic_http_ meters). */
    HTTP_MODE("http_mode"),
    /** No route for its original destination (rules wider than the routes): reset. */
    UNMAPPED("unmapped"),
    /** The client closed before its protocol was known. */
    CLOSED("closed");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  /** How the protocol was decided. */
  public enum How {
    SNIFFED("sniffed"), TIMEOUT("timeout"), SERVER_FIRST("server_first");

    final String label;

    How(String label) {
      this.label = label;
    }
  }

  private final Map<String, Counter> connections = new HashMap<>();
  private final Map<How, Counter> detections = new EnumMap<>(How.class);
  /** Read by the meter below (which holds it weakly: this field keeps it alive). */
  private final java.util.concurrent.atomic.AtomicLong plaintextRefused = new java.util.concurrent.atomic.AtomicLong();

  public InterceptMetrics(MeterRegistry registry, String node) {
    for (Protocol p : Protocol.values()) {
      for (Outcome o : Outcome.values()) {
        if (p == Protocol.TCP && o == Outcome.HTTP_MODE) {
          continue; // never happens: no series that stays at zero
        }
        connections.put(p.label() + "/" + o.label, Counter.builder("sscmic.intercept.connections")
            .description("Connections captured by transparent interception, by detected protocol (http1, http2, "
                + "tcp) and outcome (carried as a byte stream, http_mode: handed to the HTTP listener, unmapped, closed)")
            .tag("node", node).tag("protocol", p.label()).tag("outcome", o.label).register(registry));
      }
    }
    io.micrometer.core.instrument.FunctionCounter.builder("sscmic.intercept.plaintext.refused", plaintextRefused,
            java.util.concurrent.atomic.AtomicLong::doubleValue)
        .description("Connections from outside to a local service port under inbound capture "
            + "(intercept.inbound-ports), reset by the kernel rule: only the sidecar may connect; read from the "
            + "rule's nftables counter every few seconds")
        .tag("node", node).register(registry);
    for (How h : How.values()) {
      detections.put(h, Counter.builder("sscmic.intercept.detections")
          .description("How a captured connection's protocol was decided: sniffed from its first bytes, timeout "
              + "(nothing conclusive within intercept.detect-timeout: tcp), server_first (a declared port: tcp)")
          .tag("node", node).tag("how", h.label).register(registry));
    }
  }

  public void connection(Protocol protocol, Outcome outcome) {
    connections.get(protocol.label() + "/" + outcome.label).increment();
  }

  public void detected(How how) {
    detections.get(how).increment();
  }

  /** The rule's counter as last read; never goes down (a reinstalled table restarts from 0). */
  public void plaintextRefused(long count) {
    plaintextRefused.accumulateAndGet(count, Math::max);
  }

  public long plaintextRefused() {
    return plaintextRefused.get();
  }

  public double connections(Protocol protocol, Outcome outcome) {
    return connections.get(protocol.label() + "/" + outcome.label).count();
  }

  public double detections(How how) {
    return detections.get(how).count();
  }

  static List<String> outcomes() {
    return List.of(Outcome.values()).stream().map(o -> o.label).toList();
  }
}
