package io.sscmic.gateway.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyStateSource;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One running sidecar: its KeySyn verticle (key schedule), its data-plane verticle and its admin
 * port. Listeners open only after the key state for the current epoch is installed.
 */
public final class Node {
  private final Vertx vertx;
  private final NodeConfig config;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final EpochClock clock;
  private final NodeStatus status;
  private final List<String> deployments;
  private final List<MessageConsumer<?>> consumers;
  private final SidecarVerticle sidecar;
  private final AdminServerVerticle admin;

  private Node(Vertx vertx, NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, EpochClock clock,
               NodeStatus status, List<String> deployments, List<MessageConsumer<?>> consumers,
               SidecarVerticle sidecar, AdminServerVerticle admin) {
    this.vertx = vertx;
    this.config = config;
    this.schedule = schedule;
    this.metrics = metrics;
    this.clock = clock;
    this.status = status;
    this.deployments = deployments;
    this.consumers = consumers;
    this.sidecar = sidecar;
    this.admin = admin;
  }

  public static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, System::currentTimeMillis);
  }

  /** @param now the wall clock; tests shift it to put nodes in different epochs */
  public static Future<Node> start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry, LongSupplier now) {
    EpochClock clock = new EpochClock(config.genesis(), config.interval(), now);
    KeySchedule schedule = new KeySchedule();
    TunnelMetrics metrics = new TunnelMetrics(registry, config.nodeId());
    NodeStatus status = new NodeStatus(config, clock, schedule, metrics, registry);
    List<String> deployments = new ArrayList<>();
    List<MessageConsumer<?>> consumers = new ArrayList<>();
    String id = config.nodeId();
    consumers.add(vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> {
      if (id.equals(m.body().getString("node"))) {
        status.rotated();
      }
    }));
    consumers.add(vertx.eventBus().localConsumer(AdminAddresses.status(id), m -> m.reply(status.status())));
    consumers.add(vertx.eventBus().localConsumer(AdminAddresses.ready(id), m -> m.reply(status.readiness())));
    AdminServerVerticle admin = config.adminListen() == null ? null
        : new AdminServerVerticle(id, config.adminListen(), registry);
    Future<Void> adminUp = admin == null ? Future.succeededFuture()
        : vertx.deployVerticle(admin).map(d -> {
          deployments.add(d);
          return null;
        });
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
        .compose(prep -> vertx.deployVerticle(new KeySynVerticle(id, clock, schedule, (KeyStateSource) prep[0]))
            .compose(keysynId -> {
              deployments.add(keysynId);
              SidecarVerticle sidecar = new SidecarVerticle(config, schedule, metrics, (SecureRandom) prep[1]);
              return vertx.deployVerticle(sidecar).map(sidecarId -> {
                deployments.add(sidecarId);
                status.sidecarUp(sidecar);
                return new Node(vertx, config, schedule, metrics, clock, status, deployments, consumers, sidecar, admin);
              });
            }))
        .recover(e -> stop(vertx, deployments, consumers).transform(x -> Future.failedFuture(e)));
  }

  /** Stops accepting, drains and closes listeners, stops the key schedule and the admin port. */
  public Future<Void> stop() {
    return stop(vertx, deployments, consumers);
  }

  private static Future<Void> stop(Vertx vertx, List<String> deployments, List<MessageConsumer<?>> consumers) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String d = deployments.get(i);
      chain = chain.eventually(() -> vertx.undeploy(d));
    }
    return chain.eventually(() -> Future.join(consumers.stream().map(MessageConsumer::unregister).toList()))
        .mapEmpty();
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

  /** The bound admin port, or -1 without one. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }
}
