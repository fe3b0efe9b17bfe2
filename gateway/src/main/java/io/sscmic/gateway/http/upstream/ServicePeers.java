package io.sscmic.gateway.http.upstream;

import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.EndpointWatch;
import io.sscmic.gateway.resolve.PeerResolver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One service's peers as a live set: it watches the service at a {@link PeerResolver} and applies
 * each new endpoint set while the HTTP listener keeps running. An added endpoint gets a new
 * {@link UpstreamPeer}, which joins the balancer once its tunnel entry listens; a removed one
 * leaves the balancer as soon as the endpoints added with it are in (no new request picks it
 * then) and is closed with a drain, so requests already on it finish.
 *
 * <p>Confined to the context that called {@link #start}: the resolver delivers every set there.
 */
public final class ServicePeers {
  private static final Logger LOG = Logger.getLogger(ServicePeers.class.getName());

  /** Opens the tunnel entry for one endpoint of a service. */
  @FunctionalInterface
  public interface Entries {
    TunnelEntry open(String service, Endpoint endpoint);
  }

  /** A peer this set owns, from its creation (still starting) until it is retired. */
  private record Member(UpstreamPeer peer, Future<Void> started) {
  }

  private final String node;
  private final String service;
  private final Vertx vertx;
  private final Entries entries;
  private final int maxConnections;
  private final Duration connectTimeout;
  private final Duration drain;
  private final ServiceProtocol protocol;
  private final PeerBalancer balancer;
  private final Map<Endpoint, Member> members = new LinkedHashMap<>();
  private PeerPool streams;
  private Context context;
  private EndpointWatch watch;
  private Future<Void> applied = Future.succeededFuture();
  private boolean closed;

  /**
   * @param drain how long a removed peer's requests in flight may run on before its connections close
   */
  public ServicePeers(String node, String service, Vertx vertx, Entries entries, int maxConnections,
                      Duration connectTimeout, Duration drain) {
    this(node, service, vertx, entries, maxConnections, connectTimeout, drain, ServiceProtocol.HTTP1,
        RetryBudget.Settings.DEFAULT);
  }

  /**
   * @param protocol what the service speaks, so what each peer's pool speaks through the tunnel
   * @param budget the service's retry budget
   */
  public ServicePeers(String node, String service, Vertx vertx, Entries entries, int maxConnections,
                      Duration connectTimeout, Duration drain, ServiceProtocol protocol, RetryBudget.Settings budget) {
    this.protocol = protocol;
    this.balancer = new PeerBalancer(List.of(), null, new RetryBudget(budget));
    this.node = node;
    this.service = service;
    this.vertx = vertx;
    this.entries = entries;
    this.maxConnections = maxConnections;
    this.connectTimeout = connectTimeout;
    this.drain = drain;
  }

  public String service() {
    return service;
  }

  /**
   * Requests to peers whose endpoint names their node go as request streams on {@code pool} (the
   * node dials tunnel v2); the others keep their loopback tunnel entry. Call before {@link #start}.
   */
  public ServicePeers overStreams(PeerPool pool) {
    this.streams = pool;
    return this;
  }

  public PeerBalancer balancer() {
    return balancer;
  }

  /**
   * Starts watching; completes once the peers of the first set listen (a failure then fails the
   * listener's start, as a broken config should). Later sets are applied as they come.
   */
  public Future<Void> start(PeerResolver resolver) {
    context = Vertx.currentContext();
    // The resolver delivers the first set during watch(), on this thread: applied is its outcome.
    watch = resolver.watch(service, this::apply);
    return applied;
  }

  private void apply(List<Endpoint> set) {
    if (closed) {
      return;
    }
    Set<Endpoint> wanted = new LinkedHashSet<>(set);
    List<Member> leaving = new ArrayList<>();
    for (Iterator<Map.Entry<Endpoint, Member>> it = members.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Endpoint, Member> e = it.next();
      if (!wanted.contains(e.getKey())) {
        it.remove();
        leaving.add(e.getValue());
      }
    }
    List<Future<Void>> starting = new ArrayList<>();
    for (Endpoint endpoint : wanted) {
      if (!members.containsKey(endpoint)) {
        starting.add(admit(endpoint));
      }
    }
    applied = Future.all(starting).mapEmpty();
    // Make before break: the peers leaving serve until those joining listen (a loopback bind, so
    // moments), or a swap of every endpoint would answer 503 in between.
    Future.join(starting).onComplete(x -> leaving.forEach(m -> retire(m, "no longer in the endpoint set")));
  }

  private Future<Void> admit(Endpoint endpoint) {
    PeerPool pool = streams != null && endpoint.nodeId() != null ? streams : null;
    UpstreamPeer peer = new UpstreamPeer(service, endpoint, entries.open(service, endpoint), protocol, pool);
    Member member = new Member(peer, peer.start(vertx, maxConnections, connectTimeout));
    members.put(endpoint, member);
    return member.started().onSuccess(v -> {
      // Still wanted? A newer set may have removed it while its entry was opening.
      if (members.get(endpoint) == member) {
        balancer.add(peer);
        LOG.info(() -> node + ": HTTP peer " + peer + " in rotation" + (pool != null ? " (tunnel v2 request streams)" : ""));
      }
    }).onFailure(e -> {
      if (members.remove(endpoint, member)) {
        LOG.warning(() -> node + ": HTTP peer " + peer + " not added: its tunnel entry did not open ("
            + e.getMessage() + "); it is tried again when its service's endpoint set next changes");
      }
    });
  }

  private Future<Void> retire(Member member, String why) {
    balancer.remove(member.peer());
    if (!closed) {
      LOG.info(() -> node + ": HTTP peer " + member.peer() + " leaves the rotation (" + why + "); requests on it get "
          + drain.toMillis() + " ms to finish");
    }
    // Closing before the entry listens would race its start: close once the start is over.
    return member.started().transform(x -> member.peer().close(drain));
  }

  /** Stops watching and closes every peer; requests in flight get the drain. Callable from any thread. */
  public Future<Void> close() {
    if (context != null && Vertx.currentContext() != context) {
      // A drain comes from the admin port's context: the set's state belongs to the listener's.
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> close().onComplete(done));
      return done.future();
    }
    closed = true;
    if (watch != null) {
      watch.close();
    }
    List<Future<Void>> all = new ArrayList<>();
    members.values().forEach(m -> all.add(retire(m, "the listener stops")));
    members.clear();
    return Future.join(all).mapEmpty();
  }
}
