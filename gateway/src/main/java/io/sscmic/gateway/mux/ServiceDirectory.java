package io.sscmic.gateway.mux;

import java.net.SocketAddress;
import java.util.Map;

/** The receiving node's local services: where to dial for a service name. Answers from memory. */
@FunctionalInterface
public interface ServiceDirectory {
  /** The local address serving {@code service}, or null if this node serves no such service. */
  SocketAddress addressOf(String service);

  static ServiceDirectory of(Map<String, ? extends SocketAddress> services) {
    Map<String, SocketAddress> copy = Map.copyOf(services);
    return copy::get;
  }
}
