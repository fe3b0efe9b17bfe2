package io.sscmic.gateway.resolve;

import java.util.List;
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
  private final ResolverGauges gauges;

  /**
   * @param byName the resolver for services without a static peer, or null when there is none (a
   *     seed-only node: such services then have no endpoint)
   * @param gauges the node's endpoint gauges, shared by the data planes a reload replaces (or null)
   */
  public OverridePeerResolver(StaticPeerResolver overrides, PeerResolver byName, ResolverGauges gauges) {
    this.overrides = overrides;
    this.byName = byName;
    this.gauges = gauges;
  }

  private PeerResolver of(String service) {
    return byName == null || !overrides.endpoints(service).isEmpty() ? overrides : byName;
  }

  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    PeerResolver r = of(service);
    ResolverGauges.Count count = gauges == null ? new ResolverGauges.Count() : gauges.of(r.kind(), service);
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
}
