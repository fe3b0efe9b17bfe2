package io.sscmic.gateway;

import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.config.TunnelSection;
import io.sscmic.gateway.config.NodeSection;
import io.sscmic.gateway.config.KeysynSection;
import io.sscmic.gateway.config.AdminSection;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.config.SeedSource;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.sscmic.gateway.config.TunnelVersion;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.keysyn.pki.Pem;
import io.sscmic.keysyn.recovery.NodeIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** The tests' one mesh builder: sidecar configs and nodes on loopback ephemeral ports. */
public final class TestMesh {
  public static final byte[] SEED = "test mesh seed: 32 bytes or more, not secret".getBytes();

  public static NodeConfig server(String id, Instant genesis, Duration interval, byte[] seed, Map<String, SocketAddress> services) {
    return new NodeConfig(new NodeSection(id), new KeysynSection(genesis, interval, SeedSource.memory(seed)), null,
        new TunnelSection(SocketAddress.inetSocketAddress(0, "127.0.0.1"), CipherSuite.AES_256_GCM,
            AeadProvider.defaultProvider(), Duration.ofSeconds(2), Duration.ofSeconds(2), TunnelLimits.DEFAULTS),
        AdminSection.plain(null), services, List.of(), null);
  }

  public static NodeConfig client(String id, Instant genesis, Duration interval, byte[] seed, String service, int peerPort) {
    return client(id, genesis, interval, seed, service, peerPort, CipherSuite.AES_256_GCM);
  }

  public static NodeConfig client(String id, Instant genesis, Duration interval, byte[] seed, String service, int peerPort,
                           CipherSuite cipher) {
    return new NodeConfig(new NodeSection(id), new KeysynSection(genesis, interval, SeedSource.memory(seed)), null,
        new TunnelSection(null, cipher, AeadProvider.defaultProvider(), Duration.ofSeconds(2), Duration.ofSeconds(2),
            TunnelLimits.DEFAULTS),
        AdminSection.plain(null), Map.of(),
        List.of(new OutboundRoute(SocketAddress.inetSocketAddress(0, "127.0.0.1"), service,
            SocketAddress.inetSocketAddress(peerPort, "127.0.0.1"))), null);
  }

  /** A sidecar whose only job is its HTTP listener (no tunnel listener, no outbound port). */
  public static NodeConfig httpClient(String id, Instant genesis, Duration interval, byte[] seed, HttpModeConfig http) {
    return new NodeConfig(new NodeSection(id), new KeysynSection(genesis, interval, SeedSource.memory(seed)), null,
        new TunnelSection(null, CipherSuite.AES_256_GCM, AeadProvider.defaultProvider(), Duration.ofSeconds(2),
            Duration.ofSeconds(2), TunnelLimits.DEFAULTS),
        AdminSection.plain(null), Map.of(), List.of(), http);
  }

  /**
   * The same node on tunnel v2: its certificate (issued by {@code mesh}'s CA as the authority issues
   * them), key and the CA written into {@code dir} as {@code tunnel.identity-dir} expects them; it
   * dials v2, each outbound route naming {@code peerNode} (null: the routes keep no node id, so
   * they dial v1). Its tunnel listener, if any, accepts both versions.
   */
  public static NodeConfig v2(NodeConfig config, TestIdentities mesh, Path dir, String peerNode) throws Exception {
    LocalIdentity id = mesh.node(config.nodeId());
    Path d = Files.createDirectories(dir.resolve("identity-" + config.nodeId()));
    new NodeIdentity(id.certificate(), id.privateKey()).store(d);
    Files.writeString(d.resolve("ca.crt"), Pem.encode(mesh.ca.certificate()));
    List<OutboundRoute> routes = config.outbound().stream()
        .map(r -> new OutboundRoute(r.listen(), r.service(), r.peer(), peerNode)).toList();
    // A v2 handshake signs and verifies certificates: on a loaded 2-core machine the first one of a
    // JVM took over 2 s, the v1 tests' handshake timeout.
    return config.withRoutes(config.services(), routes)
        .withTunnel(t -> t.withHandshakeTimeout(Duration.ofSeconds(15)))
        .withV2(v -> v.withVersion(TunnelVersion.V2).withIdentityDir(d));
  }

  public static Node start(Vertx vertx, NodeConfig config) throws Exception {
    return start(vertx, config, System::currentTimeMillis);
  }

  public static Node start(Vertx vertx, NodeConfig config, LongSupplier now) throws Exception {
    return Node.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), now).toCompletionStage().toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  public static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private TestMesh() {
  }
}
