package io.sscmic.gateway.node;

import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.inbound.HelloReplayCache;
import io.sscmic.gateway.inbound.InboundListener;
import io.sscmic.gateway.process.TracedServiceHop;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/** The data plane of one node: its inbound tunnel listener and its outbound TCP listeners. */
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
  private final List<OutboundListener> outbound = new ArrayList<>();
  private int tunnelPort = -1;
  private final Map<String, Integer> outboundPorts = new LinkedHashMap<>();
  private volatile Future<?> closing;

  public SidecarVerticle(NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, SecureRandom random) {
    this(config, schedule, metrics, random, HelloReplayCache.forSchedule(schedule));
  }

  /** @param replays hellos seen so far, shared with the data plane this one replaces at a reload */
  SidecarVerticle(NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, SecureRandom random,
                  HelloReplayCache replays) {
    this.replays = replays;
    this.config = config;
    this.schedule = schedule;
    this.metrics = metrics;
    this.random = random;
  }

  @Override
  public Future<?> start() {
    TunnelOptions options = config.tunnelOptions();
    List<Future<?>> binds = new ArrayList<>();
    if (config.tunnel().listen() != null) {
      // With tracing, services that speak HTTP are reached through a traced hop (tracing.http-services).
      binds.add(TracedServiceHop.services(vertx, config).compose(services -> {
        inbound = new InboundListener(vertx, options, schedule, services, metrics, random, config.tunnel().limits(),
            replays);
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
    // Each route's static peer, as a resolver: a registry can take its place and feed endpoints live.
    Map<String, List<Endpoint>> peers = new LinkedHashMap<>();
    for (OutboundRoute route : config.outbound()) {
      List<Endpoint> list = peers.computeIfAbsent(route.service(), s -> new ArrayList<>());
      if (!list.contains(Endpoint.of(route.peer()))) {
        list.add(Endpoint.of(route.peer()));
      }
    }
    StaticPeerResolver resolver = new StaticPeerResolver(peers);
    for (int i = 0; i < config.outbound().size(); i++) {
      OutboundRoute route = config.outbound().get(i);
      OutboundListener l = new OutboundListener(vertx, options, schedule, route.service(), resolver, metrics,
          random);
      outbound.add(l);
      String key = "outbound[" + i + "]";
      binds.add(l.listen(route.listen())
          .andThen(ar -> {
            if (ar.succeeded()) {
              outboundPorts.put(route.service(), ar.result());
            }
          })
          .recover(e -> Future.failedFuture(new IllegalStateException(
              "cannot bind " + key + ".listen " + route.listen() + ": " + e.getMessage(), e))));
    }
    return Future.all(binds).onSuccess(v -> LOG.info(() -> "node " + config.nodeId() + ": "
        + (tunnelPort > 0 ? "tunnel listening on " + config.tunnel().listen().host() + ":" + tunnelPort
        + " for " + config.services().keySet() + "; " : "")
        + "outbound " + outboundPorts + ", cipher " + config.tunnel().cipher() + ", "
        + (vertx.isNativeTransportEnabled() ? "epoll" : "NIO") + " transport"))
        .onSuccess(v -> warnIfNettyLacksUnsafe());
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
   * Stops accepting new connections at once (listeners close) and lets open ones run on for up to
   * {@link #DRAIN}. Idempotent: a later stop waits for the same drain. Event-loop confined.
   */
  synchronized Future<?> drain() {
    if (closing == null) {
      List<Future<?>> all = new ArrayList<>();
      java.time.Duration drain = drainTime;
      if (inbound != null) {
        all.add(inbound.close(drain));
      }
      for (OutboundListener l : outbound) {
        all.add(l.close(drain));
      }
      closing = Future.join(all);
      LOG.info(() -> "node " + config.nodeId() + ": draining: listeners closed, open connections may run on for up to "
          + drain.toSeconds() + "s");
    }
    return closing;
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
    context.runOnContext(v -> {
      if (inbound != null) {
        inbound.abortOpenStreams();
      }
      outbound.forEach(OutboundListener::abortOpenStreams);
    });
  }

  boolean draining() {
    return closing != null;
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
