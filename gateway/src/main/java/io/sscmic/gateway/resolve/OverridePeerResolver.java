package io.sscmic.gateway.resolve;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The resolver a node's listeners use: a service with static peers in the config ({@code peer:},
 * a non-empty {@code http.services} entry) resolves to them (an override); every other service by
 * name through {@code byName} (the authority's registry or DNS SRV). Publishes
 * {@code sscmic_resolver_endpoints} for each service watched.
 */
public final class OverridePeerResolver implements PeerResolver {
  private final StaticPeerResolver overrides;
  private final PeerResolver byName;
  private final MeterRegistry registry;
  private final String nodeId;
  /** Held here: Micrometer gauges keep only weak references to what they read. */
  private final Map<String, EndpointCount> counts = new ConcurrentHashMap<>();

  /**
   * @param byName the resolver for services without a static peer, or null when there is none (a
   *     seed-only node: such services then have no endpoint)
   */
  public OverridePeerResolver(StaticPeerResolver overrides, PeerResolver byName, MeterRegistry registry,
                              String nodeId) {
    this.overrides = overrides;
    this.byName = byName;
    this.registry = registry;
    this.nodeId = nodeId;
  }

  private PeerResolver of(String service) {
    return byName == null || !overrides.endpoints(service).isEmpty() ? overrides : byName;
  }

  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    PeerResolver r = of(service);
    EndpointCount count = counts.computeIfAbsent(r.kind() + "/" + service, k -> {
      EndpointCount c = new EndpointCount();
      if (registry != null) {
        Gauge.builder("sscmic.resolver.endpoints", c, x -> x.size)
            .description("Endpoints the resolver knows now for a service the node calls (resolver: static, "
                + "authority or dns)")
            .tag("node", nodeId).tag("resolver", r.kind()).tag("service", service).register(registry);
      }
      return c;
    });
    return r.watch(service, set -> {
      count.size = set.size();
      onChange.accept(set);
    });
  }

  @Override
  public List<Endpoint> endpoints(String service) {
    return of(service).endpoints(service);
  }

  @Override
  public String kind() {
    return byName == null ? "static" : byName.kind();
  }

  private static final class EndpointCount {
    volatile int size;
  }
}
