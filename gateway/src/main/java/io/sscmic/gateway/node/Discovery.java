package io.sscmic.gateway.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.config.DiscoverySection;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.resolve.AuthorityPeerResolver;
import io.sscmic.gateway.resolve.DnsSrvPeerResolver;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.OverridePeerResolver;
import io.sscmic.gateway.resolve.PeerResolver;
import io.sscmic.gateway.resolve.ResolverGauges;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.keysyn.recovery.AuthorityClient;
import io.sscmic.keysyn.registry.RegistryLease;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node's part in service discovery (issue 17): the by-name resolver its listeners share (the
 * authority's registry or DNS SRV; static peers in the config override it per service), and the
 * lease that keeps this node's own entry in the registry while it serves.
 */
final class Discovery {
  private final Vertx vertx;
  private final String nodeId;
  private final MeterRegistry registry;
  private final Supplier<AuthorityClient> client;
  private final PeerResolver byName;
  private final ResolverGauges gauges;
  private RegistryLease lease;
  private List<String> leased = List.of();
  /** The mesh policy from the watch, or null (no authority, a local tunnel.policy-file, DNS). */
  private io.sscmic.gateway.policy.MeshPolicyView meshPolicy;

  private Discovery(Vertx vertx, String nodeId, MeterRegistry registry, Supplier<AuthorityClient> client,
                    PeerResolver byName) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.registry = registry;
    this.client = client;
    this.byName = byName;
    this.gauges = new ResolverGauges(registry, nodeId);
  }

  /**
   * Starts the by-name resolver: the registry watch (its disk cache first) or DNS.
   *
   * @param client the node's authority client once it has a certificate, or null for a node without an authority
   */
  static Future<Discovery> start(Vertx vertx, NodeConfig config, MeterRegistry registry,
                                 Supplier<AuthorityClient> client) {
    DiscoverySection d = config.discovery();
    if (d.resolver() == DiscoverySection.Resolver.DNS) {
      return Future.succeededFuture(new Discovery(vertx, config.nodeId(), registry, client,
          new DnsSrvPeerResolver(vertx, d.dnsServer(), d.dnsDomain(), d.dnsRefresh())));
    }
    if (client == null) {
      return Future.succeededFuture(new Discovery(vertx, config.nodeId(), registry, null, null));
    }
    java.nio.file.Path cache = d.cacheFile() != null ? d.cacheFile() : config.authority() == null ? null
        : config.authority().stateDir().resolve(DiscoverySection.CACHE_FILE);
    AuthorityPeerResolver r = new AuthorityPeerResolver(vertx, config.nodeId(), client, cache, registry);
    if (config.v2().policyFile() != null || cache == null) {
      return r.start().map(x -> new Discovery(vertx, config.nodeId(), registry, client, r));
    }
    // No local policy file: the node applies the authority's policy and roster, live (issue 17 item 3).
    io.sscmic.gateway.policy.MeshPolicyView policy = new io.sscmic.gateway.policy.MeshPolicyView(vertx,
        config.nodeId(), cache.resolveSibling(io.sscmic.gateway.policy.MeshPolicyView.CACHE_FILE));
    io.micrometer.core.instrument.Gauge.builder("sscmic.mesh.policy.version", policy, p -> p.version())
        .description("Version of the authority's mesh policy this node applies (-1: none yet, every member allowed)")
        .tag("node", config.nodeId()).register(registry);
    io.micrometer.core.instrument.Gauge.builder("sscmic.mesh.revoked", policy, p -> p.revokedCount())
        .description("Node ids and certificate serials the authority revoked, as this node last heard")
        .tag("node", config.nodeId()).register(registry);
    return policy.start().compose(p -> {
      r.watchPolicy(policy::accept);
      return r.start();
    }).map(x -> {
      Discovery made = new Discovery(vertx, config.nodeId(), registry, client, r);
      made.meshPolicy = policy;
      return made;
    });
  }

  /** The resolver for a data plane: {@code staticPeers} override, the rest by name. */
  PeerResolver resolver(Map<String, List<Endpoint>> staticPeers) {
    return new OverridePeerResolver(new StaticPeerResolver(staticPeers), byName, gauges);
  }

  /** Registers (or re-registers after a reload) what {@code config} serves at the bound tunnel port. */
  synchronized void register(NodeConfig config, int tunnelPort) {
    List<String> services = new ArrayList<>(config.services().keySet());
    services.sort(null);
    Optional<SocketAddress> advertise = config.discovery().advertise();
    boolean wanted = client != null && !services.isEmpty() && tunnelPort > 0
        && (advertise == null || advertise.isPresent());
    if (lease != null && wanted && services.equals(leased)) {
      return;
    }
    if (lease != null) {
      RegistryLease old = lease;
      lease = null;
      // Replaced by the new registration below, or removed when the node serves nothing now.
      if (wanted) {
        old.abandon();
      } else {
        old.stop();
      }
    }
    if (!wanted) {
      return;
    }
    String host;
    int port;
    if (advertise != null) {
      host = advertise.get().host();
      port = advertise.get().port();
    } else {
      String listen = config.tunnel().listen().host();
      host = isWildcard(listen) ? null : listen;
      port = tunnelPort;
    }
    leased = services;
    lease = new RegistryLease(vertx, nodeId, client, services, host, port, registry);
    lease.start();
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
  }

  /** The node drains or stops: its entry leaves the registry (callers stop picking it). */
  synchronized Future<Void> leave() {
    RegistryLease l = lease;
    lease = null;
    return l == null ? Future.succeededFuture() : l.stop();
  }

  Future<Void> stop() {
    Future<Void> left = leave();
    return left.compose(x -> byName instanceof AuthorityPeerResolver a ? a.close()
        : byName instanceof DnsSrvPeerResolver d ? d.close() : Future.succeededFuture());
  }

  /** The authority's policy and roster as this node applies them, or null (it has a policy file, or no authority). */
  io.sscmic.gateway.policy.MeshPolicyView meshPolicy() {
    return meshPolicy;
  }

  PeerResolver byName() {
    return byName;
  }
}
