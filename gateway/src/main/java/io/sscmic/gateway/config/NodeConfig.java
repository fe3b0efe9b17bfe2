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
    TracingSection tracing) {

  public NodeConfig {
    services = Map.copyOf(services);
    outbound = List.copyOf(outbound);
  }

  /** A node without transparent interception. */
  public NodeConfig(NodeSection node, KeysynSection keysyn, AuthorityRecovery.Settings authority, TunnelSection tunnel,
                    AdminSection admin, Map<String, SocketAddress> services, List<OutboundRoute> outbound,
                    HttpModeConfig http) {
    this(node, keysyn, authority, tunnel, admin, services, outbound, http, null, null);
  }

  /** A node without tracing. */
  public NodeConfig(NodeSection node, KeysynSection keysyn, AuthorityRecovery.Settings authority, TunnelSection tunnel,
                    AdminSection admin, Map<String, SocketAddress> services, List<OutboundRoute> outbound,
                    HttpModeConfig http, InterceptConfig intercept) {
    this(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept, null);
  }

  public String nodeId() {
    return node.id();
  }

  /** What this node's tunnels (inbound listener, outbound listeners, HTTP forwarder) share. */
  public TunnelOptions tunnelOptions() {
    return tunnel.options(node.id());
  }

  public NodeConfig withKeysyn(UnaryOperator<KeysynSection> change) {
    return new NodeConfig(node, change.apply(keysyn), authority, tunnel, admin, services, outbound, http, intercept, tracing);
  }

  public NodeConfig withAuthority(AuthorityRecovery.Settings a) {
    return new NodeConfig(node, keysyn, a, tunnel, admin, services, outbound, http, intercept, tracing);
  }

  public NodeConfig withTunnel(UnaryOperator<TunnelSection> change) {
    return new NodeConfig(node, keysyn, authority, change.apply(tunnel), admin, services, outbound, http, intercept, tracing);
  }

  public NodeConfig withAdmin(UnaryOperator<AdminSection> change) {
    return new NodeConfig(node, keysyn, authority, tunnel, change.apply(admin), services, outbound, http, intercept, tracing);
  }

  /** The same node with other inbound services and outbound listeners (what a config reload may change). */
  public NodeConfig withRoutes(Map<String, SocketAddress> newServices, List<OutboundRoute> newOutbound) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, newServices, newOutbound, http, intercept, tracing);
  }

  public NodeConfig withTracing(TracingSection t) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, http, intercept, t);
  }

  public NodeConfig withHttp(HttpModeConfig h) {
    return new NodeConfig(node, keysyn, authority, tunnel, admin, services, outbound, h, intercept, tracing);
  }
}
