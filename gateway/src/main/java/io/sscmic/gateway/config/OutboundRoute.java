package io.sscmic.gateway.config;

import io.vertx.core.net.SocketAddress;

/** A local TCP port whose connections go to {@code service} on the sidecar at {@code peer}. */
public record OutboundRoute(SocketAddress listen, String service, SocketAddress peer) {
}
