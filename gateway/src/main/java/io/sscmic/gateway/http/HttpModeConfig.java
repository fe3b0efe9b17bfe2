package io.sscmic.gateway.http;

import io.sscmic.gateway.resolve.Endpoint;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP listener of a node: a reverse proxy (routes by Host and path prefix) and a forward
 * proxy (HTTP_PROXY; absolute-form URIs and CONNECT name a service as their host) in one.
 *
 * @param services service name to the peer sidecars (tunnel listeners) that serve it
 * @param maxConnectionsPerPeer bound of the pooled tunnel connections to each peer
 * @param healthPath the path each peer's service is probed at through the tunnel, or null for
 *     passive health only
 * @param healthInterval how often the probes run
 * @param limits what one local client may cost the listener
 */
public record HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                             Duration timeout, int maxConnectionsPerPeer, boolean accessLog, String healthPath,
                             Duration healthInterval, ListenerLimits limits) {
  public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(5);

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  public HttpModeConfig {
    routes = List.copyOf(routes);
    services = Map.copyOf(services);
  }

  /** With the default listener limits. */
  public HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                        Duration timeout, int maxConnectionsPerPeer, boolean accessLog, String healthPath,
                        Duration healthInterval) {
    this(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath, healthInterval,
        ListenerLimits.DEFAULTS);
  }

  /** {@code services} as a resolver takes them: the static peer set of each service. */
  public Map<String, List<Endpoint>> endpoints() {
    Map<String, List<Endpoint>> all = new LinkedHashMap<>();
    services.forEach((service, peers) -> all.put(service, peers.stream().map(Endpoint::of).toList()));
    return all;
  }

  public HttpModeConfig withLimits(ListenerLimits l) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, l);
  }

  /** Without active health probes. */
  public HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                        Duration timeout, int maxConnectionsPerPeer, boolean accessLog) {
    this(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, null, DEFAULT_HEALTH_INTERVAL);
  }
}
