package io.sscmic.gateway.node;

import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a role (node or authority) has deployed and registered, so that it stops in reverse order
 * of start: listeners close before the key schedule they depend on.
 */
public final class Deployments {
  private final Vertx vertx;
  private final List<String> ids = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  public Deployments(Vertx vertx) {
    this.vertx = vertx;
  }

  public Future<String> deploy(Deployable verticle) {
    return vertx.deployVerticle(verticle).onSuccess(this::added);
  }

  private synchronized void added(String id) {
    ids.add(id);
  }

  /** A deployment took another's place (a reloaded data plane): it stops where the old one would have. */
  public synchronized void replace(String old, String now) {
    int i = ids.indexOf(old);
    if (i >= 0) {
      ids.set(i, now);
    } else {
      ids.add(now);
    }
  }

  public synchronized void consumer(MessageConsumer<?> c) {
    consumers.add(c);
  }

  private final List<java.util.function.Supplier<Future<?>>> stops = new ArrayList<>();

  /** Something started outside a verticle (the registry watch) that stops before the deployments. */
  public synchronized void onStop(java.util.function.Supplier<Future<?>> stop) {
    stops.add(stop);
  }

  /** Undeploys in reverse order, then unregisters the consumers; never fails. */
  public synchronized Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    for (java.util.function.Supplier<Future<?>> stop : List.copyOf(stops)) {
      chain = chain.eventually(stop::get).mapEmpty();
    }
    stops.clear();
    for (int i = ids.size() - 1; i >= 0; i--) {
      String d = ids.get(i);
      chain = chain.eventually(() -> vertx.undeploy(d));
    }
    ids.clear();
    List<MessageConsumer<?>> registered = List.copyOf(consumers);
    consumers.clear();
    return chain.eventually(() -> Future.join(registered.stream().map(MessageConsumer::unregister).toList()))
        .<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }
}
