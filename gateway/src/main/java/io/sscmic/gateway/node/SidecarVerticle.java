package io.sscmic.gateway.node;

import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.inbound.HelloReplayCache;
import io.sscmic.gateway.inbound.InboundListener;

import io.sscmic.gateway.inbound.V2Handoff;
import io.sscmic.gateway.resolve.PeerResolver;
import io.sscmic.gateway.process.TracedServiceHop;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.security.SecureRandom;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The data plane of one node: its inbound tunnel listener and its outbound TCP listeners.
 *
 * <p>Its listeners live on the node's one data-plane context ({@code home}), not on the context
 * Vert.x gives this verticle, so that a reload's fresh data plane accepts on the same event loop as
 * the one it replaces. Why: Vert.x shares one listening socket per host:port between the NetServers
 * of a Vert.x instance (the old listener and its replacement during a reload), and hands each
 * accepted connection to an event loop chosen round robin among the sharing servers' event loops
 * (its ServerChannelLoadBalancer); the connection is registered on that loop first and only then
 * given to a server of that loop. When the retiring listener's event loop left the shared socket
 * (its shutdown removes it), a connection already registered on that loop found no server there and
 * Vert.x closed it: the application saw a reset or an empty answer, on tunnel v1 and v2, whichever
 * thread started the reload (SIGHUP's or the dashboard's: the dashboard's only lost the race less
 * often). With both data planes on one event loop that loop never leaves the shared socket during
 * a reload, and since the listeners also close on it, a connection is either given to the old
 * listener before it stops accepting (and drained with its streams) or to the new one after.
 */
public final class SidecarVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(SidecarVerticle.class.getName());
  /** How long open connections may run on after a stop before they are closed. */
  static final java.time.Duration DRAIN = java.time.Duration.ofSeconds(10);
  /**
   * How long streams opened before a config reload may run on, on the replaced listeners, before
   * they are closed; a node stop cuts this short.
   */
  static final java.time.Duration RELOAD_DRAIN = java.time.Duration.ofMinutes(10);

  private final NodeConfig config;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final SecureRandom random;
  private final HelloReplayCache replays;
  private volatile java.time.Duration drainTime = DRAIN;
  private InboundListener inbound;
  private final TunnelV2 v2;
  private final Discovery discovery;
  private V2Handoff v2Inbound;
  private final List<OutboundListener> outbound = new ArrayList<>();
  private int tunnelPort = -1;
  /**
   * Written by each listener's bind as it completes, on that listener's event loop: several at once
   * (a plain LinkedHashMap lost one: PeerMetricsTest found no port for 'echo').
   */
  private final Map<String, Integer> outboundPorts = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile Future<?> closing;
  /** Listen addresses the running data plane holds (a reload's): bound last, see {@link #sharingPortsWith}. */
  private Set<SocketAddress> shared = Set.of();
  /** Where the listeners bind, accept and close: the node's data-plane context, or null: this verticle's own. */
  private final Context home;

  public SidecarVerticle(NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, SecureRandom random) {
    this(config, schedule, metrics, random, HelloReplayCache.forSchedule(schedule), null, null, null);
  }

  /**
   * @param replays hellos seen so far, shared with the data plane this one replaces at a reload
   * @param discovery resolves services that have no static peer (issue 17), or null for static peers only
   * @param v2 the node's tunnel v2 (its pool outlives this data plane), or null: v1 only
   * @param home the node's data-plane context, the same for every data plane of the node (see the
   *     class comment), or null: this verticle's own context (a data plane that is never replaced)
   */
  SidecarVerticle(NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, SecureRandom random,
                  HelloReplayCache replays, Discovery discovery, TunnelV2 v2, Context home) {
    this.home = home;
    this.discovery = discovery;
    this.v2 = v2;
    this.replays = replays;
    this.config = config;
    this.schedule = schedule;
    this.metrics = metrics;
    this.random = random;
  }

  @Override
  public Future<?> start() {
    return onHome(() -> startOnHome().recover(e -> {
      // The listeners that did bind belong to the node's context, not to this failed deployment:
      // Vert.x would not close them with it, so they close here. A connection one of them accepted
      // meanwhile (it shares the running data plane's ports) gets the usual drain. The failure is
      // reported once they have closed: reported earlier, a client that connects at once could be
      // handed to a listener of this plane as it closes, and be reset (NodeReloadTest, 1 run in 4).
      return drain().transform(x -> Future.failedFuture(e));
    }));
  }

  /** Runs {@code action} on the data-plane context (where the listeners live) and follows its outcome. */
  private Future<Void> onHome(java.util.function.Supplier<Future<?>> action) {
    Context ctx = home == null ? context : home;
    if (ctx == Vertx.currentContext()) {
      return action.get().mapEmpty();
    }
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      try {
        action.get().<Void>mapEmpty().onComplete(done);
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }

  private Future<?> startOnHome() {
    if (v2 == null || config.tunnel().listen() == null) {
      return bind();
    }
    // The stream policy and the services' addresses are read on a worker (a file, host names).
    // A local policy file wins (a reload may add one); without one, the authority's policy if the node takes it.
    io.sscmic.gateway.policy.MeshPolicyView mesh = discovery == null || config.v2().policyFile() != null ? null
        : discovery.meshPolicy();
    return vertx.executeBlocking(() -> new V2Inputs(mesh != null ? mesh : TunnelV2.policy(config),
            TunnelV2.resolve(config.services())))
        .recover(e -> Future.failedFuture(new IllegalStateException("tunnel.policy-file " + config.v2().policyFile()
            + ": " + e.getMessage(), e)))
        .compose(in -> {
          v2Inbound = v2.inbound(in.services(), in.policy());
          return bind();
        });
  }

  /** What the v2 inbound side reads before the listeners bind. */
  private record V2Inputs(io.sscmic.gateway.mux.StreamPolicy policy,
                          Map<String, java.net.InetSocketAddress> services) {
  }

  /**
   * The addresses the running data plane that this one replaces listens on (a reload): this plane
   * binds its other listeners first, and joins these shared ports only once those all bound. A
   * reload that fails on a new port (taken by another process) then never put a listener of this
   * plane on a running port: before, one that had joined was closed again as the reload failed,
   * and a connection Vert.x had just handed to it was reset (NodeReloadTest, about 1 run in 30).
   */
  SidecarVerticle sharingPortsWith(NodeConfig running) {
    Set<SocketAddress> held = new HashSet<>();
    if (running.tunnel().listen() != null) {
      held.add(running.tunnel().listen());
    }
    for (OutboundRoute r : running.outbound()) {
      if (r.listen().port() != 0) {
        held.add(r.listen());
      }
    }
    this.shared = held;
    return this;
  }

  private Future<?> bind() {
    TunnelOptions options = config.tunnelOptions();
    List<Supplier<Future<?>>> onShared = new ArrayList<>();
    List<Supplier<Future<?>>> onFresh = new ArrayList<>();
    if (config.tunnel().listen() != null) {
      // With tracing, services that speak HTTP are reached through a traced hop (tracing.http-services).
      (shared.contains(config.tunnel().listen()) ? onShared : onFresh).add(() ->
          TracedServiceHop.services(vertx, config).compose(services -> {
            inbound = new InboundListener(vertx, options, schedule, services, metrics, random,
                config.tunnel().limits(), replays, v2Inbound);
            return inbound.listen(config.tunnel().listen());
          })
          .andThen(ar -> {
            if (ar.succeeded()) {
              tunnelPort = ar.result();
            }
          })
          .recover(e -> Future.failedFuture(new IllegalStateException(
              "cannot bind tunnel.listen " + config.tunnel().listen() + ": " + e.getMessage(), e))));
    }
    // Each route's static peer overrides; a route without one resolves by name (registry or DNS), live.
    Map<String, List<Endpoint>> peers = new LinkedHashMap<>();
    for (OutboundRoute route : config.outbound()) {
      if (route.peer() == null) {
        continue;
      }
      List<Endpoint> list = peers.computeIfAbsent(route.service(), s -> new ArrayList<>());
      if (!list.contains(route.endpoint())) {
        list.add(route.endpoint());
      }
    }
    PeerResolver resolver = discovery == null ? new StaticPeerResolver(peers) : discovery.resolver(peers);
    for (int i = 0; i < config.outbound().size(); i++) {
      OutboundRoute route = config.outbound().get(i);
      OutboundListener l = new OutboundListener(vertx, options, schedule, route.service(), resolver, metrics,
          random, v2 != null && v2.dials() ? v2.pool() : null);
      outbound.add(l);
      String key = "outbound[" + i + "]";
      (shared.contains(route.listen()) ? onShared : onFresh).add(() -> l.listen(route.listen())
          .andThen(ar -> {
            if (ar.succeeded()) {
              outboundPorts.put(route.service(), ar.result());
            }
          })
          .recover(e -> Future.failedFuture(new IllegalStateException(
              "cannot bind " + key + ".listen " + route.listen() + ": " + e.getMessage(), e))));
    }
    return Future.all(start(onFresh)).compose(v -> Future.all(start(onShared)))
        .onSuccess(v -> LOG.info(() -> "node " + config.nodeId() + ": "
        + (tunnelPort > 0 ? "tunnel listening on " + config.tunnel().listen().host() + ":" + tunnelPort
        + " for " + config.services().keySet() + "; " : "")
        + "outbound " + outboundPorts + ", cipher " + config.tunnel().cipher() + ", "
        + (v2 == null ? "tunnel v1 only (no node certificate), " : v2.dials() ? "dials tunnel v2, " : "dials tunnel v1, ")
        + (vertx.isNativeTransportEnabled() ? "epoll" : "NIO") + " transport"))
        .onSuccess(v -> warnIfNettyLacksUnsafe());
  }

  private static List<Future<?>> start(List<Supplier<Future<?>>> binds) {
    return binds.stream().<Future<?>>map(Supplier::get).toList();
  }

  /**
   * JDK 24 and later deny sun.misc.Unsafe memory access by default, and Netty then falls back to
   * slower buffer code: measured twice the CPU per GB on JDK 25 (docs/BENCHMARKS.md).
   */
  private static void warnIfNettyLacksUnsafe() {
    if (Runtime.version().feature() >= 24 && !io.netty.util.internal.PlatformDependent.hasUnsafe()) {
      LOG.warning("Netty runs without sun.misc.Unsafe on Java " + Runtime.version().feature()
          + ": about half the throughput. Start the JVM with --sun-misc-unsafe-memory-access=allow "
          + "--enable-native-access=ALL-UNNAMED (deploy/bin/sscmic does)");
    }
  }

  @Override
  public Future<?> stop() {
    return drain();
  }

  /**
   * Stops accepting new connections (the listeners close on the data-plane context, as soon as it
   * runs the task) and lets open ones run on for up to {@link #DRAIN}. Idempotent: a later stop
   * waits for the same drain. Callable from any thread.
   */
  synchronized Future<?> drain() {
    if (closing == null) {
      // On the listeners' own context: a connection accepted there is then either given to these
      // listeners before they stop accepting (and drained) or to the data plane replacing them.
      closing = onHome(this::closeListeners);
    }
    return closing;
  }

  private Future<Void> closeListeners() {
    List<Future<?>> all = new ArrayList<>();
    java.time.Duration drain = drainTime;
    if (inbound != null) {
      all.add(inbound.close(drain));
    }
    if (v2Inbound != null) {
      // GOAWAY: peers open no new stream here (their pools dial the data plane that replaced this
      // one, or nothing when the node stops); open streams get the drain time.
      io.vertx.core.Promise<Void> goaway = io.vertx.core.Promise.promise();
      v2Inbound.close(drain).addListener(f -> goaway.tryComplete());
      all.add(goaway.future());
    }
    for (OutboundListener l : outbound) {
      all.add(l.close(drain));
    }
    LOG.info(() -> "node " + config.nodeId() + ": draining: listeners closed, open connections may run on for up to "
        + drain.toSeconds() + "s");
    return Future.join(all).mapEmpty();
  }

  /**
   * Replaced by a reloaded data plane: undeploys itself, giving its open streams up to
   * {@link #RELOAD_DRAIN}. Its listeners leave the shared ports at once, so the new ones take
   * every new connection.
   */
  Future<Void> retire() {
    drainTime = RELOAD_DRAIN;
    return vertx.undeploy(deploymentID());
  }

  /** Closes the streams a retiring data plane still carries (the node is stopping). */
  void cutShort() {
    (home == null ? context : home).runOnContext(v -> {
      if (inbound != null) {
        inbound.abortOpenStreams();
      }
      if (v2Inbound != null) {
        v2Inbound.abort();
      }
      outbound.forEach(OutboundListener::abortOpenStreams);
    });
  }

  boolean draining() {
    return closing != null;
  }

  /** The inbound v2 peer connections of this data plane, or null without v2. */
  V2Handoff v2Inbound() {
    return v2Inbound;
  }

  public int tunnelPort() {
    return tunnelPort;
  }

  /** Bound port of the outbound listener for a service. */
  public int outboundPort(String service) {
    Integer p = outboundPorts.get(service);
    if (p == null) {
      throw new IllegalArgumentException("no outbound listener for service " + service);
    }
    return p;
  }
}
