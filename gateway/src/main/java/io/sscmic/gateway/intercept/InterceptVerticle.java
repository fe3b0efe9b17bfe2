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
          listener = new InterceptListener(vertx, node, config, config::route, carriers, metrics, door);
          return listener.listen();
        })
        .onSuccess(p -> port = p)
        .compose(p -> config.manageRules() ? vertx.executeBlocking(() -> {
          rules.install(config);
          return p;
        }) : Future.succeededFuture(p))
        .onSuccess(p -> LOG.info(() -> "node " + node + ": intercepting " + config.routes().size()
            + " destination(s)" + (p > 0 ? " on " + config.listen().hostAddress() + ":" + p : "")
            + (config.inboundPorts().isEmpty() ? "" : ", refusing plaintext from outside on local port(s) "
            + config.inboundPorts().stream().sorted().toList())
            + (config.manageRules() ? ", rules installed" : ", rules managed outside the node (sscmic intercept)")));
  }

  @Override
  public Future<?> stop() {
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
