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
