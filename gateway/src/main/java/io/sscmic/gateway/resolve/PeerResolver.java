package io.sscmic.gateway.resolve;

import java.util.List;
import java.util.function.Consumer;

/**
 * Answers "which peer sidecars serve this service", now and as it changes. Static addresses from
 * the config are one implementation; a registry watch or DNS are others. Callers (the outbound
 * connector, the HTTP balancer) hold a {@link EndpointWatch} and apply each new set live, without
 * restarting their listeners.
 */
public interface PeerResolver {

  /**
   * Starts watching {@code service}. {@code onChange} receives the whole endpoint set (possibly
   * empty: the service is unknown or has no endpoint now) once at once, on the calling thread, and
   * again after every change. A resolver calls it on the Vert.x context that called {@code watch}
   * when there is one, so a caller's state can stay single-threaded.
   */
  EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange);

  /** The endpoints of {@code service} right now (empty when none). */
  List<Endpoint> endpoints(String service);

  /** What the endpoints come from, for metrics and /status: {@code static}, {@code authority}, {@code dns}. */
  default String kind() {
    return "static";
  }
}
