package io.sscmic.gateway.resolve;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code sscmic_resolver_endpoints{resolver, service}}: one gauge per service a node calls, whose
 * value holder outlives the data planes a config reload replaces (Micrometer keeps the first
 * registration of a name and tags, and only a weak reference to what it reads).
 */
public final class ResolverGauges {
  private final MeterRegistry registry;
  private final String nodeId;
  private final Map<String, Count> counts = new ConcurrentHashMap<>();

  public ResolverGauges(MeterRegistry registry, String nodeId) {
    this.registry = registry;
    this.nodeId = nodeId;
  }

  /** The holder for {@code service} resolved by {@code kind}, its gauge registered on first use. */
  Count of(String kind, String service) {
    return counts.computeIfAbsent(kind + "/" + service, k -> {
      Count c = new Count();
      Gauge.builder("sscmic.resolver.endpoints", c, x -> x.size)
          .description("Endpoints the resolver knows now for a service the node calls (resolver: static, authority "
              + "or dns)")
          .tag("node", nodeId).tag("resolver", kind).tag("service", service).register(registry);
      return c;
    });
  }

  /** The endpoint count of one service, as last delivered. */
  static final class Count {
    volatile int size;
  }
}
