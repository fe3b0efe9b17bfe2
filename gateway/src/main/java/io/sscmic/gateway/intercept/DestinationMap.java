package io.sscmic.gateway.intercept;

import java.net.InetAddress;
import java.util.Optional;

/**
 * Which service a captured connection is for, from its original destination. Today the static
 * map of the node config ({@link InterceptConfig#route}); the seam where the control-plane
 * registry (service addresses and ports) plugs in. Called on the listener's event loop: answer
 * from memory, never block.
 */
@FunctionalInterface
public interface DestinationMap {
  Optional<InterceptRoute> route(InetAddress address, int port);
}
