package io.sscmic.gateway.intercept;

import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.EndpointWatch;
import io.sscmic.gateway.resolve.PeerResolver;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Destinations from the registry ({@code intercept.registry}): for each listed service, every peer
 * sidecar the node's resolver gives (the authority's registry, DNS SRV) whose address is an IPv4
 * literal makes that address with the service's port a captured destination: an application on
 * this host that dials a service host directly is carried to the service. The set follows the
 * registry live; each change is handed to {@code changed} (which rewrites the kernel's set of
 * these destinations) and answers lookups from memory at once.
 *
 * <p>Why the peers' addresses: the registry knows where each service's sidecars are, and a
 * sidecar runs on its service's host, which is the address applications dial. A peer registered
 * by name (not an address) cannot be matched by the kernel and is skipped, once said in the log.
 */
public final class RegistryDestinations implements DestinationMap {
  private static final Logger LOG = Logger.getLogger(RegistryDestinations.class.getName());

  /** One captured destination: an IPv4 address as dotted text, and a port. */
  public record Destination(String address, int port) {
    /** The nftables set element, {@code 10.0.0.5 . 6379}. */
    String nft() {
      return address + " . " + port;
    }
  }

  private final List<InterceptConfig.RegistryCapture> captures;
  private final Consumer<Set<Destination>> changed;
  private final String node;
  private final Map<String, List<Endpoint>> endpoints = new HashMap<>();
  private final Set<String> saidSkipped = new HashSet<>();
  private final List<EndpointWatch> watches = new ArrayList<>();
  /** Replaced whole at each change: lookups on the event loops read it without a lock. */
  private volatile Map<Destination, InterceptRoute> routes = Map.of();

  /** @param changed the whole new set of destinations, called after each change of it (on the resolver's thread) */
  public RegistryDestinations(String node, List<InterceptConfig.RegistryCapture> captures,
                              Consumer<Set<Destination>> changed) {
    this.node = node;
    this.captures = List.copyOf(captures);
    this.changed = changed;
  }

  /** Watches each listed service; the first sets arrive at once (a resolver delivers on watch). */
  public synchronized void start(PeerResolver resolver) {
    Set<String> services = new LinkedHashSet<>();
    captures.forEach(c -> services.add(c.service()));
    for (String service : services) {
      watches.add(resolver.watch(service, list -> update(service, list)));
    }
  }

  public synchronized void stop() {
    watches.forEach(EndpointWatch::close);
    watches.clear();
  }

  @Override
  public Optional<InterceptRoute> route(InetAddress address, int port) {
    if (!(address instanceof Inet4Address)) {
      return Optional.empty();
    }
    return Optional.ofNullable(routes.get(new Destination(address.getHostAddress(), port)));
  }

  /** The destinations now. */
  public Set<Destination> destinations() {
    return routes.keySet();
  }

  synchronized void update(String service, List<Endpoint> list) {
    endpoints.put(service, List.copyOf(list));
    Map<Destination, InterceptRoute> next = new LinkedHashMap<>();
    for (InterceptConfig.RegistryCapture c : captures) {
      for (Endpoint e : endpoints.getOrDefault(c.service(), List.of())) {
        if (!e.host().matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
          if (saidSkipped.add(c.service() + " " + e.host())) {
            LOG.warning(() -> "node " + node + ": intercept.registry: peer " + e + " of service '" + c.service()
                + "' is registered by name, not by an IPv4 address: its host is not captured");
          }
          continue;
        }
        Destination d = new Destination(e.host(), c.port());
        // The first service listed wins a destination two would claim, as the first outbound entry does.
        next.putIfAbsent(d, new InterceptRoute(DestinationMatch.parse("intercept.registry", d.address() + ":"
            + d.port()), c.service(), e.socketAddress()));
      }
    }
    boolean same = next.keySet().equals(routes.keySet());
    routes = Map.copyOf(next);
    if (!same) {
      LOG.info(() -> "node " + node + ": intercept.registry: capturing " + next.size() + " destination(s) from the "
          + "registry " + next.keySet().stream().map(Destination::nft).map(s -> s.replace(" . ", ":")).sorted().toList());
      changed.accept(Set.copyOf(next.keySet()));
    }
  }
}
