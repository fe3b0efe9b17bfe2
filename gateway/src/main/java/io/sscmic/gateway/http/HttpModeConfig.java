package io.sscmic.gateway.http;

import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The HTTP listener of a node: a reverse proxy (routes by Host and path prefix) and a forward
 * proxy (HTTP_PROXY; absolute-form URIs and CONNECT name a service as their host) in one.
 *
 * @param services service name to the peer sidecars (tunnel listeners) that serve it
 * @param maxConnectionsPerPeer bound of the pooled tunnel connections to each peer
 */
public record HttpModeConfig(SocketAddress listen, List<HttpRoute> routes, Map<String, List<SocketAddress>> services,
                             Duration timeout, int maxConnectionsPerPeer, boolean accessLog) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  public HttpModeConfig {
    routes = List.copyOf(routes);
    services = Map.copyOf(services);
  }
}
