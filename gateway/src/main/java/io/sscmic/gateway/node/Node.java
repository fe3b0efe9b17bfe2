package io.sscmic.gateway.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.http.HttpProxyVerticle;
import io.sscmic.gateway.intercept.InterceptVerticle;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.vertx.VertxInternals;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyStateSource;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.micrometer.core.instrument.Counter;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.inbound.HelloReplayCache;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import java.util.function.LongSupplier;

/**
 * One running sidecar: its KeySyn verticle (key schedule), its data-plane verticle and its admin
 * port. Listeners open only after the key state for the current epoch is installed.
 */
public final class Node {
  private static final Logger LOG = Logger.getLogger(Node.class.getName());
  private static final List<String> RELOAD_OUTCOMES = List.of("ok", "invalid", "refused", "failed");

  private final Vertx vertx;
  private volatile NodeConfig config;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final EpochClock clock;
  private final NodeStatus status;
  private final Deployments deployments;
  private volatile SidecarVerticle sidecar;
  private volatile String sidecarId;
  private final AdminServerVerticle admin;
  /** HTTP mode's listener, or null; an undrain replaces it with a fresh one. */
  private volatile HttpProxyVerticle http;
  private volatile String httpId;
  private final PrometheusMeterRegistry registry;
  private final Path configFile;
  private final SecureRandom random;
  private final HelloReplayCache replays;
  private final Map<String, Counter> reloads;
  private final AtomicBoolean reloading = new AtomicBoolean();
  private final Set<SidecarVerticle> retiring = ConcurrentHashMap.newKeySet();

  private volatile Discovery discovery;
  /** Tunnel v2 (identity, record layer, peer pool), kept across reloads; null: the node speaks v1 only. */
  private final TunnelV2 v2;
  /**
   * The context every data plane of this node binds, accepts and closes its listeners on, kept
   * across reloads: a reload's new listeners must accept on the event loop of the ones they replace
   * (see {@link SidecarVerticle}), or Vert.x closes connections caught in the swap.
   */
  private final io.vertx.core.Context dataPlane;

  private Node(Vertx vertx, NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, EpochClock clock,
               NodeStatus status, Deployments deployments, SidecarVerticle sidecar, String sidecarId,
               AdminServerVerticle admin, HttpProxyVerticle http, String httpId, Path configFile,
               SecureRandom random, HelloReplayCache replays, Map<String, Counter> reloads, TunnelV2 v2,
               io.vertx.core.Context dataPlane, PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.registry = registry;
    this.httpId = httpId;
    this.dataPlane = dataPlane;
    this.v2 = v2;
    this.sidecarId = sidecarId;
    this.configFile = configFile;
    this.random = random;
    this.replays = replays;
    this.reloads = reloads;
    this.http = http;
    this.config = config;
    this.schedule = schedule;
    this.metrics = metrics;
    this.clock = clock;
    this.status = status;
    this.deployments = deployments;
    this.sidecar = sidecar;
    this.admin = admin;
  }

  public static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, System::currentTimeMillis);
  }

  /** @param now the wall clock; tests shift it to put nodes in different epochs */
  public static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry, LongSupplier now) {
    return start(vertx, config, registry, now, null);
  }

  /**
   * A node whose config came from {@code configFile}: the dashboard's "Reload config" action (and
   * {@link #reload()}) read it again.
   */
  public static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry,
                                   Path configFile) {
    return start(vertx, config, registry, System::currentTimeMillis, configFile);
  }

  private static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry,
                                    LongSupplier now, Path configFile) {
    Map<String, Counter> reloads = new LinkedHashMap<>();
    for (String outcome : RELOAD_OUTCOMES) {
      reloads.put(outcome, Counter.builder("sscmic.config.reloads")
          .description("Config reloads by outcome: ok, invalid (the file does not parse or validate), refused "
              + "(a key that cannot change at runtime, or no file), failed (a listener could not bind)")
          .tag("node", config.nodeId()).tag("outcome", outcome).register(registry));
    }
    AtomicReference<Node> self = new AtomicReference<>();
    EpochClock clock = new EpochClock(config.keysyn().genesis(), config.keysyn().interval(), now);
    KeySchedule schedule = new KeySchedule(clock);
    // Hellos of epochs before this start may have been accepted by a previous process: refused.
    // One epoch earlier still counts as now: a peer's clock may lag by up to an epoch.
    HelloReplayCache replays = HelloReplayCache.forSchedule(schedule, clock.currentEpoch() - 1);
    TunnelMetrics metrics = new TunnelMetrics(registry, config.nodeId());
    NodeStatus status = new NodeStatus(config, clock, schedule, metrics, registry);
    Deployments deployments = new Deployments(vertx);
    String id = config.nodeId();
    deployments.consumer(vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> {
      if (id.equals(m.body().getString("node"))) {
        status.rotated();
      }
    }));
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.status(id), m -> m.reply(status.status())));
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.ready(id), m -> m.reply(status.readiness())));
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.action(id, "drain"), m -> {
      Node n = self.get();
      if (n != null && n.discovery != null) {
        n.discovery.leave(); // callers stop picking a draining node (issue 17)
      }
      m.reply(status.drain());
    }));
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.action(id, "undrain"), m -> {
      Node n = self.get();
      if (n == null) {
        m.reply(new JsonObject().put("ok", false).put("message", "the node is still starting; nothing to undrain"));
      } else {
        n.undrain().onComplete(ar -> m.reply(ar.succeeded() ? ar.result()
            : new JsonObject().put("ok", false).put("message", "undrain failed: " + ar.cause().getMessage())));
      }
    }));
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.action(id, "reload"), m -> {
      Node n = self.get();
      if (n == null) {
        m.reply(new JsonObject().put("ok", false).put("message", "the node is still starting; try again"));
      } else {
        n.reload().onComplete(ar -> m.reply(ar.succeeded() ? ar.result()
            : new JsonObject().put("ok", false).put("message", "reload failed: " + ar.cause().getMessage())));
      }
    }));
    AdminServerVerticle admin = config.admin().listen() == null ? null
        : new AdminServerVerticle(id, config.admin().listen(), registry, config.admin().passwordHash(),
            config.admin().tls(), config.authority() == null ? null : config.authority().stateDir());
    Future<Void> adminUp = admin == null ? Future.succeededFuture()
        : deployments.deploy(admin).mapEmpty();
    return adminUp.compose(v -> vertx.executeBlocking(() -> {
      // Seed file reading and SecureRandom seeding may block: keep them off the event loop.
      SecureRandom random = new SecureRandom();
      random.nextBytes(new byte[16]);
      ChainAnchor seedChain;
      try {
        seedChain = config.keysyn().seed() == null ? null : ChainAnchor.genesis(config.keysyn().seed().read());
      } catch (Exception e) {
        throw new IllegalStateException("cannot read the mesh seed from " + config.keysyn().seed().describe() + ": "
            + e.getMessage(), e);
      }
      KeyStateSource source = config.authority() == null ? seedChain
          : new AuthorityRecovery(id, config.authority(), clock, seedChain, random, registry);
      return new KeyStart(source, random);
    }))
        .compose(prep -> {
          if (prep.source() instanceof AuthorityRecovery recovery) {
            status.authorityUp(recovery);
          }
          return Future.succeededFuture(prep);
        })
        .compose(prep -> deployments.deploy(new KeySynVerticle(id, clock, schedule, prep.source()))
            .compose(keysynId -> Discovery.start(vertx, config, registry, prep.source() instanceof AuthorityRecovery
                r ? r::client : null))
            // Tunnel v2 after the key schedule runs (its replay filter starts at this epoch) and
            // after enrollment (the node certificate is in the state directory by now).
            .compose(d -> TunnelV2.start(vertx, config, schedule, prep.random(), registry)
                .map(v2 -> new DataPlaneStart(prep, d, v2)))
            .compose(start -> {
              Discovery discovery = start.discovery();
              TunnelV2 v2 = start.v2();
              deployments.onStop(() -> discovery.stop());
              io.vertx.core.Context dataPlane = VertxInternals.eventLoopContext(vertx);
              SidecarVerticle sidecar = new SidecarVerticle(config, schedule, metrics, prep.random(),
                  replays, discovery, v2, dataPlane);
              HttpProxyVerticle http = config.http() == null ? null
                  : httpListener(config, discovery, schedule, metrics, prep.random(), registry, v2);
              return deployments.deploy(sidecar)
                  .compose(sidecarId -> (http == null ? Future.<String>succeededFuture() : deployments.deploy(http))
                  .compose(httpId -> (config.intercept() == null ? Future.succeededFuture()
                      : deployments.deploy(InterceptVerticle.of(config, schedule, metrics, prep.random(), registry)
                          .toHttpMode(http).fromRegistry(discovery.resolver(Map.of()))))
                  .map(x -> {
                    if (http != null) {
                      status.httpUp(http);
                    }
                    status.sidecarUp(sidecar);
                    status.v2Up(v2);
                    Node node = new Node(vertx, config, schedule, metrics, clock, status, deployments, sidecar,
                        sidecarId, admin, http, httpId, configFile, prep.random(), replays, reloads, v2, dataPlane,
                        registry);
                    node.discovery = discovery;
                    node.applyRoster(discovery.meshPolicy());
                    discovery.register(config, sidecar.tunnelPort());
                    self.set(node);
                    return node;
                  })));
            }))
        .recover(e -> deployments.stop().transform(x -> Future.failedFuture(e)));
  }

  /** HTTP mode's listener of {@code config} (not deployed yet): at the start, and fresh at an undrain. */
  private static HttpProxyVerticle httpListener(NodeConfig config, Discovery discovery, KeySchedule schedule,
                                                TunnelMetrics metrics, SecureRandom random,
                                                PrometheusMeterRegistry registry, TunnelV2 v2) {
    HttpProxyVerticle http = new HttpProxyVerticle(config.http(), discovery.resolver(config.http().endpoints()),
        config.tunnelOptions(), schedule, metrics, random, registry);
    if (v2 != null && v2.dials()) {
      http.overStreams(v2.pool()); // requests to peers with a node id go as v2 request streams
    }
    return http;
  }

  /** Stops accepting, drains and closes listeners, stops the key schedule and the admin port. */
  public Future<Void> stop() {
    // A data plane replaced by a reload may still carry old streams: a stop does not wait for them.
    retiring.forEach(SidecarVerticle::cutShort);
    // Leave the registry first, while the authority client is still open (issue 17); then the data
    // plane drains (its application connections may still use pooled streams), then the pool sends
    // GOAWAY on its peer connections.
    Future<Void> left = discovery == null ? Future.succeededFuture() : discovery.leave();
    return left.transform(x -> deployments.stop()).eventually(() -> v2 == null ? Future.succeededFuture() : v2.close());
  }

  /**
   * Reads the config file again and applies what may change at runtime (inbound services,
   * outbound listeners, tunnel cipher, timeouts and limits) without a gap: the new data plane
   * binds first, sharing the listening ports of the old one on the same event loop (the node's
   * data-plane context: see {@link SidecarVerticle}), then the old one stops accepting and lets its
   * open streams finish. Safe to call from any thread (SIGHUP's handler calls it from its own). Refuses, changing nothing, an invalid file or a change to a key
   * that cannot change while the node runs (naming it). Never fails: answers {ok, message}.
   */
  public Future<JsonObject> reload() {
    if (configFile == null) {
      return reloaded("refused", "this node was started without a config file: nothing to reload");
    }
    if (sidecar.draining()) {
      return reloaded("refused", "the node is draining; restart it to apply a new config");
    }
    if (!reloading.compareAndSet(false, true)) {
      return reloaded("refused", "a reload is already in progress");
    }
    return ConfigLoader.load(vertx, configFile)
        .transform(ar -> {
          if (ar.failed()) {
            return reloaded("invalid", "invalid config in " + configFile + ", nothing changed: "
                + ar.cause().getMessage());
          }
          NodeConfig next = ar.result();
          List<String> fixed = ConfigChanges.fixedKeysChanged(config, next);
          if (!fixed.isEmpty()) {
            return reloaded("refused", "nothing changed: " + String.join(", ", fixed)
                + " cannot change while the node runs; restart it to apply");
          }
          if (next.tunnel().listen() != null && next.tunnel().listen().port() == 0) {
            return reloaded("refused", "nothing changed: tunnel.listen has port 0 (a random port), which a reload "
                + "cannot keep open; give it a fixed port");
          }
          return replaceDataPlane(next);
        })
        .andThen(ar -> reloading.set(false));
  }

  private Future<JsonObject> replaceDataPlane(NodeConfig next) {
    NodeConfig before = config;
    SidecarVerticle old = sidecar;
    String oldId = sidecarId;
    SidecarVerticle fresh = new SidecarVerticle(next, schedule, metrics, random, replays, discovery, v2, dataPlane)
        .sharingPortsWith(before);
    return vertx.deployVerticle(fresh).transform(ar -> {
      if (ar.failed()) {
        return reloaded("failed", "nothing changed: " + ar.cause().getMessage());
      }
      deployments.replace(oldId, ar.result());
      config = next;
      sidecar = fresh;
      sidecarId = ar.result();
      status.reconfigured(next, fresh);
      if (discovery != null) {
        discovery.register(next, fresh.tunnelPort());
      }
      retiring.add(old);
      old.retire().onComplete(x -> retiring.remove(old));
      return reloaded("ok", "reloaded " + configFile + ": " + ConfigChanges.describe(before, next)
          + "; streams already open run on until they end (at most " + SidecarVerticle.RELOAD_DRAIN.toMinutes()
          + " min)");
    });
  }

  /**
   * The dashboard's undrain action: a drained node takes connections again. A fresh data plane
   * binds the listeners the drained one closed (same config; a port configured as 0 gets a new
   * one), and so does a fresh HTTP listener where the node has one; the drained ones keep their
   * open streams and requests until their drain ends. The HTTP listener binds first: when it
   * cannot (its port taken meanwhile), nothing changes and the node stays drained.
   */
  Future<JsonObject> undrain() {
    if (!sidecar.draining()) {
      return Future.succeededFuture(new JsonObject().put("ok", true).put("message", "not draining: nothing to do"));
    }
    if (!reloading.compareAndSet(false, true)) {
      return Future.succeededFuture(new JsonObject().put("ok", false).put("message", "a reload is in progress"));
    }
    HttpProxyVerticle oldHttp = http;
    String oldHttpId = httpId;
    HttpProxyVerticle freshHttp = oldHttp == null ? null
        : httpListener(config, discovery, schedule, metrics, random, registry, v2);
    Future<String> httpUp = freshHttp == null ? Future.succeededFuture() : vertx.deployVerticle(freshHttp)
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot bind http.listen " + config.http().listen()
            + ": " + e.getMessage(), e)));
    SidecarVerticle old = sidecar;
    String oldId = sidecarId;
    SidecarVerticle fresh = new SidecarVerticle(config, schedule, metrics, random, replays, discovery, v2, dataPlane);
    return httpUp.compose(newHttpId -> vertx.deployVerticle(fresh)
        // The data plane did not bind: the fresh HTTP listener closes again, the node stays drained.
        .recover(e -> (newHttpId == null ? Future.succeededFuture() : vertx.undeploy(newHttpId))
            .transform(x -> Future.failedFuture(e)))
        .map(deploymentId -> {
          if (freshHttp != null) {
            deployments.replace(oldHttpId, newHttpId);
            http = freshHttp;
            httpId = newHttpId;
            status.httpUp(freshHttp); // a later drain closes this one
            vertx.undeploy(oldHttpId); // already drained: its requests in flight end within its drain
          }
          deployments.replace(oldId, deploymentId);
          sidecar = fresh;
          sidecarId = deploymentId;
          status.reconfigured(config, fresh);
          if (discovery != null) {
            discovery.register(config, fresh.tunnelPort()); // back in the registry: callers pick it again
          }
          retiring.add(old);
          old.retire().onComplete(x -> retiring.remove(old));
          LOG.info(() -> config.nodeId() + ": undrained: listeners open again"
              + (freshHttp == null ? "" : " (HTTP on port " + freshHttp.port() + ")")
              + ", /readyz answers 200 once keys are ready");
          return new JsonObject().put("ok", true).put("message", "undrained: the node accepts new connections again");
        }))
        .andThen(ar -> reloading.set(false));
  }

  private Future<JsonObject> reloaded(String outcome, String message) {
    reloads.get(outcome).increment();
    if (outcome.equals("ok")) {
      LOG.info(() -> config.nodeId() + ": config " + message);
    } else {
      LOG.warning(() -> config.nodeId() + ": config reload " + outcome + ": " + message);
    }
    return Future.succeededFuture(new JsonObject().put("ok", outcome.equals("ok")).put("outcome", outcome)
        .put("message", message));
  }

  /** Config reloads so far with this outcome (ok, invalid, refused, failed). */
  public double reloads(String outcome) {
    return reloads.get(outcome).count();
  }

  public NodeConfig config() {
    return config;
  }

  public KeySchedule schedule() {
    return schedule;
  }

  public EpochClock clock() {
    return clock;
  }

  public TunnelMetrics metrics() {
    return metrics;
  }

  /** Tunnel v2 of this node, or null when it has no certificate (v1 only). */
  /**
   * The authority's roster on tunnel v2 (issue 17 item 3): handshakes of revoked nodes are refused,
   * and a node revoked while connected has its v2 connections closed, both directions.
   */
  private void applyRoster(io.sscmic.gateway.policy.MeshPolicyView roster) {
    if (roster == null || v2 == null) {
      return;
    }
    v2.revocations(roster);
    roster.onRevoked(ids -> {
      for (String id : ids) {
        int out = v2.pool().cut(id);
        int in = 0;
        io.sscmic.gateway.inbound.V2Handoff inbound = sidecar.v2Inbound();
        if (inbound != null) {
          for (io.sscmic.gateway.mux.PeerConnection c : inbound.connections()) {
            if (id.equals(c.peerNodeId())) {
              c.cut();
              in++;
            }
          }
        }
        int o = out;
        int i = in;
        LOG.warning(() -> config.nodeId() + ": closed " + o + " outbound and " + i + " inbound tunnel v2 connections"
            + " of revoked node '" + id + "'");
      }
    });
  }

  /** The mesh policy and roster this node applies, or null (a local policy file, or no authority). */
  public io.sscmic.gateway.policy.MeshPolicyView meshPolicy() {
    return discovery == null ? null : discovery.meshPolicy();
  }

  public TunnelV2 v2() {
    return v2;
  }

  public double rotations() {
    return status.rotations();
  }

  public int tunnelPort() {
    return sidecar.tunnelPort();
  }

  public int outboundPort(String service) {
    return sidecar.outboundPort(service);
  }

  /** The bound port of the HTTP listener. */
  public int httpPort() {
    if (http == null) {
      throw new IllegalStateException("no http listener configured");
    }
    return http.port();
  }

  /** The bound admin port, or -1 without one. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** What the start prepares on a worker: where the key state comes from, and the seeded randomness. */
  private record KeyStart(KeyStateSource source, SecureRandom random) {
  }

  /** The key start and the discovery started after it (the registry watch needs the node's certificate). */
  private record DataPlaneStart(KeyStart prep, Discovery discovery, TunnelV2 v2) {
  }
}
