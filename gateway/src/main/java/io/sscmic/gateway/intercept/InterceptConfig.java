package io.sscmic.gateway.intercept;

import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node's {@code intercept} section (docs/OPERATIONS.md, "Transparent interception").
 *
 * @param listen the transparent listener the TPROXY rule sends captured connections to
 * @param manageRules whether the node installs the rules at start (replacing a stale set) and
 *     removes them when it stops
 * @param mark the firewall mark that routes a captured connection's packets to the local table
 * @param routeTable the policy-routing table that holds {@code local 0.0.0.0/0 dev lo}
 * @param excludeUid the sidecar's own uid, whose connections are never captured; null for none
 *     (the tunnel peers and the authority are excluded by address in any case)
 * @param detectTimeout how long a captured connection waits for its client's first bytes before
 *     it is carried as opaque TCP
 * @param serverFirstPorts destination ports whose server speaks first (MySQL, SMTP...): carried
 *     at once as TCP, nothing is awaited from the client
 * @param routes destination to service, first match wins
 * @param ownDestinations where the sidecar itself connects (tunnel peers, the authority): never captured
 * @param inboundPorts inbound capture: local service ports that only the sidecar may reach (from
 *     loopback); connections to them arriving from outside are reset and counted
 * @param registry destinations from the registry: the services whose peers' addresses, with the
 *     given port, are captured ({@link RegistryDestinations}); after the static routes
 */
public record InterceptConfig(SocketAddress listen, boolean manageRules, int mark, int routeTable, Integer excludeUid,
                              Duration detectTimeout, Set<Integer> serverFirstPorts, List<InterceptRoute> routes,
                              List<SocketAddress> ownDestinations, Set<Integer> inboundPorts,
                              List<RegistryCapture> registry) {
  /** Connections to any address the registry gives for {@code service}'s peers, on {@code port}, go to {@code service}. */
  public record RegistryCapture(String service, int port) {
  }

  public InterceptConfig {
    serverFirstPorts = Set.copyOf(serverFirstPorts);
    routes = List.copyOf(routes);
    ownDestinations = List.copyOf(ownDestinations);
    inboundPorts = Set.copyOf(inboundPorts);
    registry = List.copyOf(registry);
  }

  /** No destinations from the registry. */
  public InterceptConfig(SocketAddress listen, boolean manageRules, int mark, int routeTable, Integer excludeUid,
                         Duration detectTimeout, Set<Integer> serverFirstPorts, List<InterceptRoute> routes,
                         List<SocketAddress> ownDestinations, Set<Integer> inboundPorts) {
    this(listen, manageRules, mark, routeTable, excludeUid, detectTimeout, serverFirstPorts, routes, ownDestinations,
        inboundPorts, List.of());
  }

  /** With {@code registry} as the destinations from the registry. */
  public InterceptConfig withRegistry(List<RegistryCapture> registry) {
    return new InterceptConfig(listen, manageRules, mark, routeTable, excludeUid, detectTimeout, serverFirstPorts,
        routes, ownDestinations, inboundPorts, registry);
  }

  /** Outbound capture only (no inbound ports). */
  public InterceptConfig(SocketAddress listen, boolean manageRules, int mark, int routeTable, Integer excludeUid,
                         Duration detectTimeout, Set<Integer> serverFirstPorts, List<InterceptRoute> routes,
                         List<SocketAddress> ownDestinations) {
    this(listen, manageRules, mark, routeTable, excludeUid, detectTimeout, serverFirstPorts, routes, ownDestinations,
        Set.of());
  }

  /**
   * Whether outbound connections are captured (there is a route, static or from the registry), so
   * the listener and policy routing are needed.
   */
  public boolean capturesOutbound() {
    return !routes.isEmpty() || !registry.isEmpty();
  }

  /** The route of a connection whose original destination is {@code address}:{@code port}, if any. */
  public Optional<InterceptRoute> route(InetAddress address, int port) {
    for (InterceptRoute r : routes) {
      if (r.match().matches(address, port)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  public boolean serverFirst(int port) {
    return serverFirstPorts.contains(port);
  }
}
