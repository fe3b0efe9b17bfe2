package io.sscmic.gateway.intercept;

import io.vertx.core.net.SocketAddress;

/**
 * Captured connections to {@code match} go to {@code service} on the sidecar at {@code peer}, as
 * an outbound listener's connections do. Until the registry maps destinations to services, this
 * static line of the node config does.
 */
public record InterceptRoute(DestinationMatch match, String service, SocketAddress peer) {
}
