package io.sscmic.gateway.resolve;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Endpoints from the node's config (a route's {@code peer:}, {@code http.services}). A config
 * reload calls {@link #update}: every watcher of a changed service gets the new set, on its own
 * context, and keeps its listener.
 */
public final class StaticPeerResolver implements PeerResolver {
  private final Watchers watchers = new Watchers();

  public StaticPeerResolver(Map<String, List<Endpoint>> initial) {
    initial.forEach(watchers::publish);
  }

  @Override
  public List<Endpoint> endpoints(String service) {
    return watchers.get(service);
  }

  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    return watchers.open(service, onChange);
  }

  /** Replaces the whole table; watchers of services whose set changed are told. */
  public void update(Map<String, List<Endpoint>> next) {
    Set<String> all = new HashSet<>(watchers.published());
    all.addAll(next.keySet());
    for (String service : all) {
      watchers.publish(service, next.getOrDefault(service, List.of()));
    }
  }

  /** Sets one service's endpoints (an empty list removes it). */
  public void update(String service, List<Endpoint> list) {
    watchers.publish(service, list);
  }
}
