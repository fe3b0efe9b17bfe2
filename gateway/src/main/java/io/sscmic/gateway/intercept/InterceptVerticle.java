package io.sscmic.gateway.intercept;

import io.sscmic.gateway.http.CapturedHttp;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * A node's transparent interception: the transparent listener, one outbound path per captured
 * service, and (with {@code intercept.manage-rules}) the kernel rules: installed once the
 * listener is up, replacing any stale set a crashed run left, and removed when the node stops.
 *
 * <p>The outbound path of a service is an {@link OutboundListener} reached through its
 * {@link OutboundListener#carry} seam, so the tunnel code (handshake, relay, metrics, peers) is
 * the outbound listener's own. It binds an ephemeral loopback port it never advertises (its
 * connector and client are set up by {@code listen}); a captured connection never goes through it.
 */
public final class InterceptVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(InterceptVerticle.class.getName());
  private static final Duration DRAIN = Duration.ofSeconds(10);
  /** How often the inbound-capture refusal counter is read from nftables. */
  static final Duration COUNTER_POLL = Duration.ofSeconds(5);

  private final String node;
  private final InterceptConfig config;
  private final TunnelOptions options;
  private final KeySchedule schedule;
  private final TunnelMetrics tunnelMetrics;
  private final SecureRandom random;
  private final InterceptMetrics metrics;
  private final RuleInstaller rules;
  private final List<OutboundListener> paths = new ArrayList<>();
  private InterceptListener listener;
  private io.sscmic.gateway.http.HttpProxyVerticle http;
  private io.sscmic.gateway.resolve.PeerResolver registryResolver;
  private RegistryDestinations fromRegistry;
  private volatile int port = -1;

  /** @param rules applies the rules when {@code config.manageRules()}; unused otherwise */
  public InterceptVerticle(String node, InterceptConfig config, TunnelOptions options, KeySchedule schedule,
                           TunnelMetrics tunnelMetrics, SecureRandom random, InterceptMetrics metrics,
                           RuleInstaller rules) {
    this.node = node;
    this.config = config;
    this.options = options;
    this.schedule = schedule;
    this.tunnelMetrics = tunnelMetrics;
    this.random = random;
    this.metrics = metrics;
    this.rules = rules;
  }

  /**
   * Captured HTTP goes to {@code http}'s HTTP mode for the services it serves (call before
   * deploying, once {@code http} has started); without, all is carried as TCP.
   */
  public InterceptVerticle toHttpMode(io.sscmic.gateway.http.HttpProxyVerticle http) {
    this.http = http;
    return this;
  }

  /**
   * The resolver whose endpoints feed {@code intercept.registry} (the node's: registry or DNS);
   * call before deploying. Without one those services have no destinations.
   */
  public InterceptVerticle fromRegistry(io.sscmic.gateway.resolve.PeerResolver resolver) {
    this.registryResolver = resolver;
    return this;
  }

  /** A node's interception from its config, with the real nft and ip, logging what they did. */
  public static InterceptVerticle of(io.sscmic.gateway.config.NodeConfig c, KeySchedule schedule, TunnelMetrics metrics,
                                     SecureRandom random, io.micrometer.core.instrument.MeterRegistry registry) {
    return new InterceptVerticle(c.nodeId(), c.intercept(), c.tunnelOptions(), schedule, metrics, random,
        new InterceptMetrics(registry, c.nodeId()),
        new RuleInstaller(CommandRunner.system(), line -> LOG.info(() -> "node " + c.nodeId() + ": intercept: " + line)));
  }

  @Override
  public Future<?> start() {
    Map<String, List<Endpoint>> peers = new LinkedHashMap<>();
    for (InterceptRoute r : config.routes()) {
      List<Endpoint> list = peers.computeIfAbsent(r.service(), s -> new ArrayList<>());
      if (!list.contains(Endpoint.of(r.peer()))) {
        list.add(Endpoint.of(r.peer()));
      }
    }
    StaticPeerResolver resolver = new StaticPeerResolver(peers);
    Map<String, Consumer<NetSocket>> carriers = new LinkedHashMap<>();
    List<Future<?>> ready = new ArrayList<>();
    for (String service : peers.keySet()) {
      OutboundListener path = new OutboundListener(vertx, options, schedule, service, resolver, tunnelMetrics, random);
      paths.add(path);
      carriers.put(service, path::carry);
      ready.add(path.listen(SocketAddress.inetSocketAddress(0, "127.0.0.1")));
    }
    // Services from the registry: carried to their live peers, as an outbound route by name is (a
    // service also listed in intercept.outbound keeps that entry's peers).
    io.sscmic.gateway.resolve.PeerResolver byName = registryResolver != null ? registryResolver
        : new StaticPeerResolver(Map.of());
    for (InterceptConfig.RegistryCapture c : config.registry()) {
      if (!carriers.containsKey(c.service())) {
        OutboundListener path = new OutboundListener(vertx, options, schedule, c.service(), byName, tunnelMetrics,
            random);
        paths.add(path);
        carriers.put(c.service(), path::carry);
        ready.add(path.listen(SocketAddress.inetSocketAddress(0, "127.0.0.1")));
      }
    }
    fromRegistry = config.registry().isEmpty() ? null : new RegistryDestinations(node, config.registry(),
        this::registryChanged);
    DestinationMap destinations = fromRegistry == null ? config::route
        : (address, p) -> config.route(address, p).or(() -> fromRegistry.route(address, p));
    if (!config.inboundPorts().isEmpty()) {
      // The kernel counts refusals; the meter follows it (a blocking nft call: on a worker).
      vertx.setPeriodic(COUNTER_POLL.toMillis(), id -> vertx.executeBlocking(rules::plaintextRefused, false)
          .onSuccess(n -> {
            if (n >= 0) {
              metrics.plaintextRefused(n);
            }
          }));
    }
    return Future.all(ready)
        .onSuccess(v -> paths.forEach(OutboundListener::prepareCarry)) // on this verticle's context
        // The HTTP door opens on this verticle's context, where the listener below accepts.
        .compose(v -> http == null || !config.capturesOutbound() ? Future.<CapturedHttp>succeededFuture(null)
            : http.captureDoor())
        .compose(door -> {
          if (!config.capturesOutbound()) {
            return Future.succeededFuture(-1);
          }
          listener = new InterceptListener(vertx, node, config, destinations, carriers, metrics, door);
          return listener.listen();
        })
        .onSuccess(p -> port = p)
        .compose(p -> config.manageRules() ? vertx.executeBlocking(() -> {
          rules.install(config);
          return p;
        }) : Future.succeededFuture(p))
        // The registry's destinations go into the set the rules just made (a watch delivers at once).
        .onSuccess(p -> {
          if (fromRegistry != null) {
            fromRegistry.start(byName);
          }
        })
        .onSuccess(p -> LOG.info(() -> "node " + node + ": intercepting " + config.routes().size()
            + " destination(s)" + (config.registry().isEmpty() ? "" : " and those of the registry for "
            + config.registry().stream().map(r -> r.service() + ":" + r.port()).toList()) + (p > 0 ? " on " + config.listen().hostAddress() + ":" + p : "")
            + (config.inboundPorts().isEmpty() ? "" : ", refusing plaintext from outside on local port(s) "
            + config.inboundPorts().stream().sorted().toList())
            + (config.manageRules() ? ", rules installed" : ", rules managed outside the node (sscmic intercept)")));
  }

  /**
   * Writes the registry's destinations into the kernel's set, in the order the changes came (an
   * ordered blocking task per change: nft is a process). Failing (the rules are not installed from
   * this config, or no CAP_NET_ADMIN), captured lookups still work but the kernel does not send
   * those connections here: said in the log.
   */
  private void registryChanged(java.util.Set<RegistryDestinations.Destination> destinations) {
    vertx.executeBlocking(() -> {
      rules.registryDestinations(destinations);
      return null;
    }, true).onFailure(e -> LOG.warning(() -> "node " + node + ": intercept.registry: could not update nftables set "
        + InterceptRules.REGISTRY_SET + ": " + e.getMessage() + " (install the rules from this config: sscmic "
        + "intercept install, or intercept.manage-rules: true)"));
  }

  @Override
  public Future<?> stop() {
    if (fromRegistry != null) {
      fromRegistry.stop();
    }
    Future<?> removed = config.manageRules() ? vertx.executeBlocking(() -> {
      rules.remove(config.mark(), config.routeTable());
      return null;
    }).recover(e -> {
      LOG.warning(() -> "node " + node + ": could not remove the interception rules: " + e.getMessage()
          + "; run `sscmic intercept remove`");
      return Future.succeededFuture();
    }) : Future.succeededFuture();
    return removed.compose(v -> {
      List<Future<?>> all = new ArrayList<>();
      if (listener != null) {
        all.add(listener.close(DRAIN));
      }
      paths.forEach(p -> all.add(p.close(DRAIN)));
      return Future.join(all);
    });
  }

  /** The transparent listener's bound port (after start). */
  public int port() {
    return port;
  }
}
