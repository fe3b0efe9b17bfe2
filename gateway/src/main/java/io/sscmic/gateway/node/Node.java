package io.sscmic.gateway.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.http.HttpProxyVerticle;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyStateSource;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * One running sidecar: its KeySyn verticle (key schedule), its data-plane verticle and its admin
 * port. Listeners open only after the key state for the current epoch is installed.
 */
public final class Node {
  private final NodeConfig config;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final EpochClock clock;
  private final NodeStatus status;
  private final Deployments deployments;
  private final SidecarVerticle sidecar;
  private final AdminServerVerticle admin;
  private final HttpProxyVerticle http;

  private Node(NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, EpochClock clock,
               NodeStatus status, Deployments deployments, SidecarVerticle sidecar, AdminServerVerticle admin,
               HttpProxyVerticle http) {
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
    EpochClock clock = new EpochClock(config.genesis(), config.interval(), now);
    KeySchedule schedule = new KeySchedule(clock);
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
    deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.action(id, "drain"),
        m -> m.reply(status.drain())));
    AdminServerVerticle admin = config.adminListen() == null ? null
        : new AdminServerVerticle(id, config.adminListen(), registry, config.adminPasswordHash(),
            config.adminTls());
    Future<Void> adminUp = admin == null ? Future.succeededFuture()
        : deployments.deploy(admin).mapEmpty();
    return adminUp.compose(v -> vertx.executeBlocking(() -> {
      // Seed file reading and SecureRandom seeding may block: keep them off the event loop.
      SecureRandom random = new SecureRandom();
      random.nextBytes(new byte[16]);
      ChainAnchor seedChain;
      try {
        seedChain = config.seed() == null ? null : ChainAnchor.genesis(config.seed().read());
      } catch (Exception e) {
        throw new IllegalStateException("cannot read the mesh seed from " + config.seed().describe() + ": "
            + e.getMessage(), e);
      }
      KeyStateSource source = config.authority() == null ? seedChain
          : new AuthorityRecovery(id, config.authority(), clock, seedChain, random, registry);
      return new Object[] {source, random};
    }))
        .compose(prep -> deployments.deploy(new KeySynVerticle(id, clock, schedule, (KeyStateSource) prep[0]))
            .compose(keysynId -> {
              SidecarVerticle sidecar = new SidecarVerticle(config, schedule, metrics, (SecureRandom) prep[1]);
              HttpProxyVerticle http = config.http() == null ? null : new HttpProxyVerticle(config.http(),
                  new TunnelOptions(id, config.cipher(), config.provider(), config.connectTimeout(),
                      config.handshakeTimeout(), config.limits().idleTimeout()), schedule, metrics, (SecureRandom) prep[1], registry);
              return deployments.deploy(sidecar)
                  .compose(x -> http == null ? Future.succeededFuture() : deployments.deploy(http))
                  .map(x -> {
                    if (http != null) {
                      status.httpUp(http);
                    }
                    status.sidecarUp(sidecar);
                    return new Node(config, schedule, metrics, clock, status, deployments, sidecar, admin, http);
                  });
            }))
        .recover(e -> deployments.stop().transform(x -> Future.failedFuture(e)));
  }

  /** Stops accepting, drains and closes listeners, stops the key schedule and the admin port. */
  public Future<Void> stop() {
    return deployments.stop();
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
}
