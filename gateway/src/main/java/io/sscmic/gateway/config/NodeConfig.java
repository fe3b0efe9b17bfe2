package io.sscmic.gateway.config;

import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.intercept.InterceptConfig;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A sidecar's validated configuration, one record per section of its YAML file, parsed once (see
 * {@link NodeConfigParser}, and {@link NodeKeys} for the keys) and passed down.
 *
 * @param authority where the node enrolls and recovers its key state, or null for a seed-only node
 * @param services inbound: service name to local address
 * @param outbound outbound: local listeners, each bound to one service on one peer
 * @param http the HTTP listener (reverse and forward proxy), or null for none
 * @param intercept transparent interception, or null for none
 * @param discovery how services named without a peer are resolved (the registry, DNS SRV)
 * @param v2 tunnel v2: the version this node dials, the stream policy, the peer pool
 * @param tracing where spans go and how many, or null for no tracing (no SDK started)
 */
public record NodeConfig(
    NodeSection node,
    KeysynSection keysyn,
    AuthorityRecovery.Settings authority,
    TunnelSection tunnel,
    AdminSection admin,
    Map<String, SocketAddress> services,
    List<OutboundRoute> outbound,
    HttpModeConfig http,
    InterceptConfig intercept,
    DiscoverySection discovery,
    TunnelV2Section v2,
    TracingSection tracing) {

  public NodeConfig {
    services = Map.copyOf(services);
    outbound = List.copyOf(outbound);
    discovery = discovery == null ? DiscoverySection.DEFAULTS : discovery;
    v2 = v2 == null ? TunnelV2Section.defaults() : v2;
  }

  /** A node without transparent interception, with the default discovery and v2 settings (it dials v1). */
  public NodeConfig(NodeSection node, KeysynSection keysyn, AuthorityRecovery.Settings authority, TunnelSection tunnel,
                    AdminSection admin, Map<String, SocketAddress> services, List<OutboundRoute> outbound,
                    HttpModeConfig http) {
    this(node, keysyn, authority, tunnel, admin, services, outbound, http, null, DiscoverySection.DEFAULTS, null, null);
  }

  public NodeConfig withDiscovery(UnaryOperator<DiscoverySection> change) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept,
        change.apply(discovery), v2, tracing);
  }

  public NodeConfig withV2(UnaryOperator<TunnelV2Section> change) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept, discovery,
        change.apply(v2), tracing);
  }

  /** Without tracing (no SDK started). */
  public NodeConfig(NodeSection node, KeysynSection keysyn, AuthorityRecovery.Settings authority, TunnelSection tunnel,
                    AdminSection admin, Map<String, SocketAddress> services, List<OutboundRoute> outbound,
                    HttpModeConfig http, InterceptConfig intercept, DiscoverySection discovery, TunnelV2Section v2) {
    this(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept, discovery, v2, null);
  }

  public NodeConfig withTracing(TracingSection t) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept, discovery, v2,
        t);
  }

  public String nodeId() {
    return node.id();
  }

  /** What this node's tunnels (inbound listener, outbound listeners, HTTP forwarder) share. */
  public TunnelOptions tunnelOptions() {
    return tunnel.options(node.id());
  }

  public NodeConfig withKeysyn(UnaryOperator<KeysynSection> change) {
    return new NodeConfig(node, change.apply(keysyn), authority, tunnel, admin, services, outbound, http, intercept, discovery,
        v2, tracing);
  }

  public NodeConfig withAuthority(AuthorityRecovery.Settings a) {
    return new NodeConfig(node, keysyn, a, tunnel, admin, services, outbound, http, intercept, discovery,
        v2, tracing);
  }

  public NodeConfig withTunnel(UnaryOperator<TunnelSection> change) {
    return new NodeConfig(node, keysyn, authority, change.apply(tunnel), admin, services, outbound, http, intercept, discovery,
        v2, tracing);
  }

  public NodeConfig withAdmin(UnaryOperator<AdminSection> change) {
    return new NodeConfig(node, keysyn, authority, tunnel, change.apply(admin), services, outbound, http, intercept, discovery,
        v2, tracing);
  }

  /** The same node with other inbound services and outbound listeners (what a config reload may change). */
  public NodeConfig withRoutes(Map<String, SocketAddress> newServices, List<OutboundRoute> newOutbound) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, newServices, newOutbound, http, intercept, discovery,
        v2, tracing);
  }

  public NodeConfig withHttp(HttpModeConfig h) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, h, intercept, discovery,
        v2, tracing);
  }
}
