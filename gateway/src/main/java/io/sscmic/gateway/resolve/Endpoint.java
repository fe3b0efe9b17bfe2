package io.sscmic.gateway.resolve;

import io.vertx.core.net.SocketAddress;
import java.util.Objects;

/**
 * One peer sidecar's tunnel listener that serves a service. {@code nodeId} names the peer node
 * when the resolver knows it (a registry does; a static address does not, and says null).
 */
public record Endpoint(String host, int port, String nodeId) {
  public Endpoint {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  public static Endpoint of(SocketAddress address) {
    return new Endpoint(address.host(), address.port(), null);
  }

  public SocketAddress socketAddress() {
    return SocketAddress.inetSocketAddress(port, host);
  }

  /** host:port, the form used in logs, metrics labels and /status. */
  public String address() {
    return host + ":" + port;
  }

  @Override
  public String toString() {
    return nodeId == null ? address() : nodeId + "@" + address();
  }
}
