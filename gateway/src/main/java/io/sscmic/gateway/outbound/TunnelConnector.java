package io.sscmic.gateway.outbound;

import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.EndpointWatch;
import io.sscmic.gateway.resolve.PeerResolver;
import io.vertx.core.Future;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Opens TCP connections to the peer sidecars that serve one service, as a {@link PeerResolver}
 * says now: round robin over the endpoints, skipping those whose last connect failed less than
 * {@link #FAILURE_BACKOFF} ago (unless every endpoint did), trying the next one when a connect
 * fails. A new endpoint set from the resolver applies to the next connection; the listener keeps
 * running. Confined to the context that created it (the resolver delivers changes there).
 */
public final class TunnelConnector implements AutoCloseable {
  /** How long an endpoint whose connect failed is passed over while others are available. */
  public static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5);

  /** One connection to a peer sidecar. */
  public record Connection(Endpoint endpoint, NetSocket socket) {
  }

  /** No endpoint could be reached; {@code tried} lists the attempts in order (empty: none known). */
  public static final class Unreachable extends Exception {
    private final List<Endpoint> tried;

    Unreachable(String service, List<Endpoint> tried, Throwable last) {
      super(tried.isEmpty() ? "no endpoint known for service '" + service + "'"
          : "cannot reach " + tried + (last == null ? "" : ": " + last.getMessage()), last);
      this.tried = List.copyOf(tried);
    }

    public List<Endpoint> tried() {
      return tried;
    }
  }

  private final NetClient client;
  private final String service;
  private final EndpointWatch watch;
  private final LongSupplier nanos;
  private final Map<Endpoint, Long> failedAt = new HashMap<>();
  private List<Endpoint> endpoints = List.of();
  private int next;

  /**
   * @param onChange told (after this connector) of every endpoint set, e.g. to label metrics
   */
  public TunnelConnector(NetClient client, PeerResolver resolver, String service, Consumer<List<Endpoint>> onChange) {
    this(client, resolver, service, onChange, System::nanoTime);
  }

  TunnelConnector(NetClient client, PeerResolver resolver, String service, Consumer<List<Endpoint>> onChange,
                  LongSupplier nanos) {
    this.client = client;
    this.service = service;
    this.nanos = nanos;
    this.watch = resolver.watch(service, set -> {
      endpoints = List.copyOf(set);
      failedAt.keySet().retainAll(endpoints);
      onChange.accept(endpoints);
    });
  }

  /** The endpoints in use now. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * Connects to the next endpoint in turn; on failure tries the others once each. Fails with
   * {@link Unreachable} when none answers (or none is known).
   */
  public Future<Connection> connect() {
    List<Endpoint> order = order();
    if (order.isEmpty()) {
      return Future.failedFuture(new Unreachable(service, List.of(), null));
    }
    return attempt(order, 0, new ArrayList<>(), null);
  }

  private Future<Connection> attempt(List<Endpoint> order, int i, List<Endpoint> tried, Throwable last) {
    if (i == order.size()) {
      return Future.failedFuture(new Unreachable(service, tried, last));
    }
    Endpoint e = order.get(i);
    tried.add(e);
    return client.connect(e.socketAddress()).transform(ar -> {
      if (ar.succeeded()) {
        failedAt.remove(e);
        return Future.succeededFuture(new Connection(e, ar.result()));
      }
      failedAt.put(e, nanos.getAsLong());
      return attempt(order, i + 1, tried, ar.cause());
    });
  }

  /**
   * This connection's try order: the round-robin pick first, then the rest in turn; endpoints that
   * failed lately go last, so they are tried only when no other one answers.
   */
  List<Endpoint> order() {
    List<Endpoint> set = endpoints;
    int n = set.size();
    if (n == 0) {
      return List.of();
    }
    long now = nanos.getAsLong();
    List<Endpoint> fresh = new ArrayList<>(n);
    List<Endpoint> failing = new ArrayList<>();
    int start = Math.floorMod(next, n);
    for (int k = 0; k < n; k++) {
      Endpoint e = set.get((start + k) % n);
      Long at = failedAt.get(e);
      (at != null && now - at < FAILURE_BACKOFF.toNanos() ? failing : fresh).add(e);
    }
    // Advance past the endpoint picked, so the next connection starts at the one after it.
    Endpoint first = fresh.isEmpty() ? failing.get(0) : fresh.get(0);
    next = set.indexOf(first) + 1;
    fresh.addAll(failing);
    return fresh;
  }

  @Override
  public void close() {
    watch.close();
  }
}
