package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.RetryBudget;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
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
 * @param protocols the protocol each service speaks where it is not HTTP/1.1 (service name to protocol)
 * @param retryBudget how many retries each service's requests may add
 * @param peerNodes the node id of each service's peers where configured ({@code peer-node}, service
 *     name to node id): with {@code tunnel.version: v2} its requests go as v2 request streams
 * @param h2c whether the listener takes HTTP/2 over cleartext (prior knowledge and upgrade) besides
 *     HTTP/1.1; null for "when a service speaks h2c" (see {@link #listensH2c()})
 */
public record HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                             Duration timeout, int maxConnectionsPerPeer, boolean accessLog, String healthPath,
                             Duration healthInterval, ListenerLimits limits, Map<String, ServiceProtocol> protocols,
                             RetryBudget.Settings retryBudget, Boolean h2c, Map<String, String> peerNodes) {
  public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(5);

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  public HttpModeConfig {
    routes = List.copyOf(routes);
    services = Map.copyOf(services);
    protocols = Map.copyOf(protocols);
    peerNodes = Map.copyOf(peerNodes);
  }

  /** No peer node ids configured. */
  public HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                        Duration timeout, int maxConnectionsPerPeer, boolean accessLog, String healthPath,
                        Duration healthInterval, ListenerLimits limits, Map<String, ServiceProtocol> protocols,
                        RetryBudget.Settings retryBudget, Boolean h2c) {
    this(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath, healthInterval, limits,
        protocols, retryBudget, h2c, Map.of());
  }

  public HttpModeConfig withPeerNodes(Map<String, String> nodes) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, limits, protocols, retryBudget, h2c, nodes);
  }

  /** Every service on HTTP/1.1, the default retry budget. */
  public HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                        Duration timeout, int maxConnectionsPerPeer, boolean accessLog, String healthPath,
                        Duration healthInterval, ListenerLimits limits) {
    this(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath, healthInterval, limits,
        Map.of(), RetryBudget.Settings.DEFAULT, null);
  }

  /** What {@code service} speaks: as configured, else HTTP/1.1. */
  public ServiceProtocol protocol(String service) {
    return protocols.getOrDefault(service, ServiceProtocol.HTTP1);
  }

  public HttpModeConfig withProtocols(Map<String, ServiceProtocol> p) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, limits, p, retryBudget, h2c, peerNodes);
  }

  /**
   * Whether the listener takes h2c: as configured, else when some service is declared h2c (a mesh
   * that carries gRPC). Off, Vert.x shows the listener each connection as it opens, so the header
   * timeout bounds a connection from its first moment; on, only once its first request head is in
   * (Vert.x tells HTTP/1.1 from HTTP/2 first), so slow-loris clients are not bounded by it.
   */
  public boolean listensH2c() {
    return h2c != null ? h2c : protocols.containsValue(ServiceProtocol.H2C);
  }

  public HttpModeConfig withH2c(Boolean on) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, limits, protocols, retryBudget, on, peerNodes);
  }

  public HttpModeConfig withRetryBudget(RetryBudget.Settings b) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, limits, protocols, b, h2c, peerNodes);
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
    services.forEach((service, peers) -> all.put(service, peers.stream()
        .map(a -> new Endpoint(a.host(), a.port(), peerNodes.get(service))).toList()));
    return all;
  }

  public HttpModeConfig withLimits(ListenerLimits l) {
    return new HttpModeConfig(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, healthPath,
        healthInterval, l, protocols, retryBudget, h2c, peerNodes);
  }

  /** Without active health probes. */
  public HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                        Duration timeout, int maxConnectionsPerPeer, boolean accessLog) {
    this(listen, routes, services, timeout, maxConnectionsPerPeer, accessLog, null, DEFAULT_HEALTH_INTERVAL);
  }
}
