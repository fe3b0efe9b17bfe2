package io.sscmic.gateway.config;

import io.sscmic.gateway.resolve.Endpoint;
import io.vertx.core.net.SocketAddress;

/**
 * A local TCP port whose connections go to {@code service} on the sidecar at {@code peer}.
 *
 * @param peerNode the node id of that sidecar, or null when the config does not say; a tunnel v2
 *     dial needs it (its INIT names the node it is meant for), so a route without it dials v1
 */
public record OutboundRoute(SocketAddress listen, String service, SocketAddress peer, String peerNode) {
  public OutboundRoute(SocketAddress listen, String service, SocketAddress peer) {
    this(listen, service, peer, null);
  }

  /** The peer as the resolver and the pool know it: its address and, when configured, its node id. */
  public Endpoint endpoint() {
    return new Endpoint(peer.host(), peer.port(), peerNode);
  }
}
