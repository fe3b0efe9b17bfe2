package io.sscmic.gateway.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.http.upstream.PeerBalancer;
import io.sscmic.gateway.http.upstream.ServicePeers;
import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.http.upstream.TunnelEntry;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.PeerResolver;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The node's HTTP listener: it wires the parts and owns their lifecycle. Each request is routed
 * ({@link Router}) to a service, whose live peer set ({@link ServicePeers}, fed by a
 * {@link PeerResolver}) picks a peer sidecar; then the {@link Forwarder} sends it through the
 * encrypted tunnel over a pooled keep-alive connection, an upgrade goes to the
 * {@link UpgradeProxy}, a CONNECT to the {@link ConnectProxy}. The {@link HealthProber} probes
 * peers, the {@link ListenerGuard} enforces the listener's limits. Errors the sidecar produces
 * itself carry the header {@value #PRODUCED_BY} naming this node and a one-line plain-text body.
 */
public final class HttpProxyVerticle extends VerticleBase {
  static final String PRODUCED_BY = "x-sscmic-sidecar";
  private static final Logger LOG = Logger.getLogger(HttpProxyVerticle.class.getName());
  /** How long requests in flight may run on when the listener stops or their peer is removed. */
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private final HttpModeConfig config;
  private final PeerResolver resolver;
  private final TunnelOptions tunnel;
  private final KeySchedule schedule;
  private final TunnelMetrics tunnelMetrics;
  private final SecureRandom random;
  private final HttpMetrics metrics;
  private final String node;
  private final ListenerGuard guard;
  private final Answers answers;
  private final Router router;
  private final Forwarder forwarder;
  private final UpgradeProxy upgrades;
  private final ConnectProxy connects;
  private final Map<String, ServicePeers> services = new LinkedHashMap<>();
  private PeerPool streams;
  private HealthProber prober;
  /** One server per event loop ({@code tunnel.event-loops}), all on the one port. */
  private final List<HttpServer> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Future<?> closing;
  /** The servers behind {@link #captureDoor()}. */
  private final List<HttpServer> captureDoors = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param resolver the peers of each service, watched live (for static config:
   *     {@code new StaticPeerResolver(config.endpoints())})
   */
  public HttpProxyVerticle(HttpModeConfig config, PeerResolver resolver, TunnelOptions tunnel, KeySchedule schedule,
                           TunnelMetrics tunnelMetrics, SecureRandom random, MeterRegistry registry) {
    this.config = config;
    this.resolver = resolver;
    this.tunnel = tunnel;
    this.schedule = schedule;
    this.tunnelMetrics = tunnelMetrics;
    this.random = random;
    this.node = tunnel.nodeId();
    this.metrics = new HttpMetrics(registry, node);
    this.guard = new ListenerGuard(config.limits(), metrics, node);
    this.answers = new Answers(metrics, node, config.accessLog());
    this.router = new Router(config.routes(), config.services().keySet(), config.timeout(), node);
    ForwardedHeaders headers = new ForwardedHeaders(node);
    this.forwarder = new Forwarder(answers, headers, node);
    this.upgrades = new UpgradeProxy(answers, headers);
    this.connects = new ConnectProxy(answers);
  }

  /**
   * The node dials tunnel v2: requests to peers whose endpoint names their node go as request
   * streams on {@code pool} (no loopback tunnel entry). Call before deploying.
   */
  public HttpProxyVerticle overStreams(PeerPool pool) {
    this.streams = pool;
    return this;
  }

  @Override
  public Future<?> start() {
    // Every service a request can reach: those with peers configured and those routes name.
    Set<String> names = new LinkedHashSet<>(config.services().keySet());
    config.routes().forEach(r -> names.add(r.service()));
    List<Future<?>> ready = new ArrayList<>();
    for (String service : names) {
      ServicePeers peers = new ServicePeers(node, service, vertx, this::entry, config.maxConnectionsPerPeer(),
          tunnel.connectTimeout(), DRAIN, config.protocol(service), config.retryBudget()).overStreams(streams);
      services.put(service, peers);
      metrics.peerHealth(service, peers.balancer());
      ready.add(peers.start(resolver));
    }
    HttpServerOptions options = serverOptions();
    if (config.healthPath() != null) {
      prober = new HealthProber(vertx, services.values(), config.healthPath(), config.healthInterval(), metrics, node);
      prober.start();
    }
    // Requests are handled on the loop that accepted their connection: the router, balancers,
    // guard and meters they use are shared by the loops and safe for that.
    List<Context> loops = VertxInternals.eventLoopContexts(vertx, tunnel.eventLoops());
    int port = VertxInternals.sharedPort(config.listen(), loops.size());
    return Future.all(ready).compose(v -> {
      List<Future<HttpServer>> bound = new ArrayList<>();
      for (Context loop : loops) {
        HttpServer server = server(options);
        servers.add(server);
        Promise<HttpServer> listening = Promise.promise();
        loop.runOnContext(x -> server.listen(port, config.listen().host()).onComplete(listening));
        bound.add(listening.future());
      }
      return Future.all(bound);
    })
        .onSuccess(s -> LOG.info(() -> node + ": HTTP listener on " + config.listen().host() + ":"
            + port() + " for " + config.services().keySet() + " (" + config.routes().size() + " routes, "
            + servers.size() + " event loops)"))
        // The servers on loops of their own belong to no deployment: a failed start closes them.
        .recover(e -> Future.join(servers.stream().map(HttpServer::close).toList())
            .transform(x -> Future.failedFuture(e)));
  }

  private HttpServerOptions serverOptions() {
    ListenerLimits limits = config.limits();
    // HTTP/1.1, and h2c both with prior knowledge and by upgrade (gRPC clients use prior knowledge) where it is on.
    return new HttpServerOptions().setHttp2ClearTextEnabled(config.listensH2c()).setTcpNoDelay(true)
        .setMaxHeaderSize(limits.maxHeaderSize()).setMaxInitialLineLength(limits.maxInitialLineLength());
  }

  private HttpServer server(HttpServerOptions options) {
    return vertx.createHttpServer(options)
        .connectionHandler(guard::accept)
        .invalidRequestHandler(this::invalid)
        .requestHandler(this::handle);
  }

  /**
   * The door for connections captured by transparent interception on the calling context's event
   * loop (call it from the interception listener's context, after this verticle started). It is an
   * HTTP server like the listener's, same handlers and limits: Vert.x 5 builds what makes a socket
   * an HTTP connection only when a server listens, so it listens on an ephemeral loopback port
   * that is never advertised (a local process that finds it is served as on the listener's port).
   * It closes with the caller's deployment or this listener's drain.
   */
  public Future<CapturedHttp> captureDoor() {
    Context here = vertx.getOrCreateContext();
    HttpServer server = server(serverOptions());
    captureDoors.add(server);
    return server.listen(0, "127.0.0.1").map(s -> new CapturedHttp(services.keySet(), config.listensH2c(),
        VertxInternals.eventLoop(here), VertxInternals.httpConnectHandler(s)));
  }

  /** The tunnel entry of one peer: a private outbound tunnel listener, its port for the peer's pool only. */
  private TunnelEntry entry(String service, Endpoint endpoint) {
    OutboundListener listener = new OutboundListener(vertx, tunnel, schedule, service, endpoint.socketAddress(),
        tunnelMetrics, random);
    return new TunnelEntry() {
      @Override
      public Future<Integer> listen(SocketAddress address) {
        return listener.listen(address);
      }

      @Override
      public Future<Void> close(Duration drain) {
        return listener.close(drain);
      }
    };
  }

  @Override
  public Future<?> stop() {
    return drain();
  }

  /**
   * Stops accepting at once; requests in flight get up to 10 s. Idempotent: a later stop waits
   * for the same drain.
   */
  public synchronized Future<?> drain() {
    if (closing == null) {
      if (prober != null) {
        prober.stop();
      }
      List<Future<?>> all = new ArrayList<>();
      servers.forEach(server -> all.add(server.shutdown(DRAIN.toMillis(), TimeUnit.MILLISECONDS)));
      captureDoors.forEach(server -> all.add(server.shutdown(DRAIN.toMillis(), TimeUnit.MILLISECONDS)));
      services.values().forEach(s -> all.add(s.close()));
      closing = Future.join(all);
    }
    return closing;
  }

  public int port() {
    return servers.get(0).actualPort();
  }

  private void handle(HttpServerRequest req) {
    long started = System.nanoTime();
    if (!guard.request(req)) {
      return;
    }
    String route = HttpRoute.NONE; // until the route table chose one: a refusal before counts under none
    try {
      if (req.method() == HttpMethod.CONNECT) {
        String service = router.connectService(req);
        connects.connect(req, service, balancer(service), started);
        return;
      }
      String captured = CapturedHttp.service(req);
      Target target = captured != null ? router.routeCaptured(req, captured) : router.route(req);
      route = target.route();
      PeerBalancer balancer = balancer(target.service());
      if (UpgradeProxy.isUpgrade(req)) {
        upgrades.upgrade(req, target, balancer, started);
      } else {
        forwarder.forward(req, target, balancer, started);
      }
    } catch (ProxyFailure f) {
      answers.fail(req, f, route, started);
    }
  }

  private PeerBalancer balancer(String service) {
    ServicePeers peers = services.get(service);
    if (peers == null) {
      throw new ProxyFailure(ProxyFailure.Kind.NO_PEER, service, "service '" + service + "' has no peers configured");
    }
    return peers.balancer();
  }

  /** A request the HTTP decoder refused: a limit (431, 414) or malformed (400); the connection then closes. */
  private void invalid(HttpServerRequest req) {
    if (!guard.invalid(req)) {
      answers.fail(req, new ProxyFailure(ProxyFailure.Kind.BAD_REQUEST, "-", "malformed request: "
          + req.decoderResult().cause().getMessage()), HttpRoute.NONE, System.nanoTime());
      guard.closeAfterAnswer(req);
    }
  }
}
