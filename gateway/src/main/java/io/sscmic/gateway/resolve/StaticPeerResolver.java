package io.sscmic.gateway.resolve;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Endpoints from the node's config (a route's {@code peer:}, {@code http.services}). A config
 * reload calls {@link #update}: every watcher of a changed service gets the new set, on its own
 * context, and keeps its listener.
 */
public final class StaticPeerResolver implements PeerResolver {
  private final Map<String, List<Endpoint>> endpoints = new ConcurrentHashMap<>();
  private final List<Watch> watches = new CopyOnWriteArrayList<>();

  public StaticPeerResolver(Map<String, List<Endpoint>> initial) {
    initial.forEach((service, list) -> endpoints.put(service, List.copyOf(list)));
  }

  @Override
  public List<Endpoint> endpoints(String service) {
    return endpoints.getOrDefault(service, List.of());
  }

  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    Watch w = new Watch(service, onChange, Vertx.currentContext());
    watches.add(w);
    w.deliver(endpoints(service), false);
    return w;
  }

  /** Replaces the whole table; watchers of services whose set changed are told. */
  public void update(Map<String, List<Endpoint>> next) {
    Map<String, List<Endpoint>> copy = new ConcurrentHashMap<>();
    next.forEach((service, list) -> copy.put(service, List.copyOf(list)));
    for (String service : union(copy)) {
      List<Endpoint> before = endpoints(service);
      List<Endpoint> after = copy.getOrDefault(service, List.of());
      if (after.isEmpty()) {
        endpoints.remove(service);
      } else {
        endpoints.put(service, after);
      }
      if (!before.equals(after)) {
        for (Watch w : watches) {
          if (w.service.equals(service)) {
            w.deliver(after, true);
          }
        }
      }
    }
  }

  /** Sets one service's endpoints (an empty list removes it). */
  public void update(String service, List<Endpoint> list) {
    Map<String, List<Endpoint>> next = new ConcurrentHashMap<>(endpoints);
    if (list.isEmpty()) {
      next.remove(service);
    } else {
      next.put(service, list);
    }
    update(next);
  }

  private Set<String> union(Map<String, List<Endpoint>> next) {
    Set<String> all = new HashSet<>(endpoints.keySet());
    all.addAll(next.keySet());
    return all;
  }

  private final class Watch implements EndpointWatch {
    private final String service;
    private final Consumer<List<Endpoint>> onChange;
    private final Context context;
    private volatile List<Endpoint> current = List.of();
    private volatile boolean closed;

    Watch(String service, Consumer<List<Endpoint>> onChange, Context context) {
      this.service = Objects.requireNonNull(service, "service");
      this.onChange = Objects.requireNonNull(onChange, "onChange");
      this.context = context;
    }

    void deliver(List<Endpoint> set, boolean async) {
      current = set;
      if (!async || context == null || Vertx.currentContext() == context) {
        onChange.accept(set);
      } else {
        context.runOnContext(v -> {
          if (!closed) {
            onChange.accept(set);
          }
        });
      }
    }

    @Override
    public String service() {
      return service;
    }

    @Override
    public List<Endpoint> current() {
      return current;
    }

    @Override
    public void close() {
      closed = true;
      watches.remove(this);
    }
  }
}
