package io.sscmic.gateway.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeySynVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * One running sidecar: its KeySyn verticle (key schedule) and its data-plane verticle. Listeners
 * open only after the key state for the current epoch is installed.
 */
public final class Node {
  private final Vertx vertx;
  private final NodeConfig config;
  private final KeySchedule schedule;
  private final TunnelMetrics metrics;
  private final EpochClock clock;
  private final String keysynDeployment;
  private final SidecarVerticle sidecar;
  private final String sidecarDeployment;

  private Node(Vertx vertx, NodeConfig config, KeySchedule schedule, TunnelMetrics metrics, EpochClock clock,
               String keysynDeployment, SidecarVerticle sidecar, String sidecarDeployment) {
    this.vertx = vertx;
    this.config = config;
    this.schedule = schedule;
    this.metrics = metrics;
    this.clock = clock;
    this.keysynDeployment = keysynDeployment;
    this.sidecar = sidecar;
    this.sidecarDeployment = sidecarDeployment;
  }

  public static Future<Node> start(Vertx vertx, NodeConfig config, MeterRegistry registry) {
    return start(vertx, config, registry, System::currentTimeMillis);
  }

  /** @param now the wall clock; tests shift it to put nodes in different epochs */
  public static Future<Node> start(Vertx vertx, NodeConfig config, MeterRegistry registry, LongSupplier now) {
    EpochClock clock = new EpochClock(config.genesis(), config.interval(), now);
    KeySchedule schedule = new KeySchedule();
    TunnelMetrics metrics = new TunnelMetrics(registry, config.nodeId());
    return vertx.executeBlocking(() -> {
      // Seed file reading and SecureRandom seeding may block: keep them off the event loop.
      byte[] seed = config.seed().read();
      SecureRandom random = new SecureRandom();
      random.nextBytes(new byte[16]);
      return new Object[] {ChainAnchor.genesis(seed), random};
    }).recover(e -> Future.failedFuture(new IllegalStateException(
        "cannot read the mesh seed from " + config.seed().describe() + ": " + e.getMessage(), e)))
        .compose(prep -> {
          ChainAnchor anchor = (ChainAnchor) prep[0];
          SecureRandom random = (SecureRandom) prep[1];
          return vertx.deployVerticle(new KeySynVerticle(config.nodeId(), clock, schedule, anchor)).compose(keysynId -> {
            SidecarVerticle sidecar = new SidecarVerticle(config, schedule, metrics, random);
            return vertx.deployVerticle(sidecar)
                .recover(e -> vertx.undeploy(keysynId).transform(x -> Future.failedFuture(e)))
                .map(sidecarId -> new Node(vertx, config, schedule, metrics, clock, keysynId, sidecar, sidecarId));
          });
        });
  }

  /** Stops accepting, closes listeners, then stops the key schedule. */
  public Future<Void> stop() {
    return vertx.undeploy(sidecarDeployment).eventually(() -> vertx.undeploy(keysynDeployment));
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

  public int tunnelPort() {
    return sidecar.tunnelPort();
  }

  public int outboundPort(String service) {
    return sidecar.outboundPort(service);
  }
}
