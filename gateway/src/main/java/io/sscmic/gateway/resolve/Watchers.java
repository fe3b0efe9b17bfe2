package io.sscmic.gateway.resolve;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The watches of a resolver whose endpoint sets change from elsewhere (a config reload, a registry
 * stream, DNS answers): each watch gets the set once at once, then every changed set on the context
 * that opened it.
 */
final class Watchers {
  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private final Map<String, List<Endpoint>> sets = new ConcurrentHashMap<>();

  /** The set of {@code service} as last published. */
  List<Endpoint> get(String service) {
    return sets.getOrDefault(service, List.of());
  }

  /** Services with a published (non-empty) set. */
  java.util.Set<String> published() {
    return java.util.Set.copyOf(sets.keySet());
  }

  /** Services some watch is interested in. */
  java.util.Set<String> watched() {
    java.util.Set<String> all = new java.util.TreeSet<>();
    watches.forEach(w -> all.add(w.service));
    return all;
  }

  EndpointWatch open(String service, Consumer<List<Endpoint>> onChange) {
    Watch w = new Watch(service, onChange, Vertx.currentContext());
    watches.add(w);
    w.deliver(get(service), false);
    return w;
  }

  /** Publishes {@code set} for {@code service}; watches hear of it only when it differs. */
  void publish(String service, List<Endpoint> set) {
    List<Endpoint> copy = List.copyOf(set);
    List<Endpoint> before = copy.isEmpty() ? sets.remove(service) : sets.put(service, copy);
    if (Objects.equals(before == null ? List.of() : before, copy)) {
      return;
    }
    for (Watch w : watches) {
      if (w.service.equals(service)) {
        w.deliver(copy, true);
      }
    }
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
