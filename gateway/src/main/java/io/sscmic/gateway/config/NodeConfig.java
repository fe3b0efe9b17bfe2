package io.sscmic.gateway.config;

import io.sscmic.admin.AdminTls;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A sidecar's validated configuration, parsed once (see {@link NodeConfigParser}) and passed down.
 *
 * @param tunnelListen the inbound tunnel listener, or null for a node that only sends
 * @param services inbound: service name to local address
 * @param outbound outbound: local listeners, each bound to one service on one peer
 * @param adminListen the admin port (metrics, health, status), or null for none
 * @param seed the mesh seed, or null for a node that recovers its key state from the authority
 * @param authority where the node enrolls and recovers its key state, or null for a seed-only node
 * @param http the HTTP listener (reverse and forward proxy), or null for none
 * @param limits abuse limits of the inbound tunnel listener
 * @param adminPasswordHash the dashboard password ({@code admin.password-hash}), or null to generate
 *     one at start and print it once
 * @param adminTls the admin port's certificate and key ({@code admin.tls}), or null for plain HTTP
 */
public record NodeConfig(
    String nodeId,
    Instant genesis,
    Duration interval,
    SeedSource seed,
    CipherSuite cipher,
    AeadProvider provider,
    SocketAddress tunnelListen,
    Map<String, SocketAddress> services,
    List<OutboundRoute> outbound,
    Duration connectTimeout,
    Duration handshakeTimeout,
    SocketAddress adminListen,
    AuthorityRecovery.Settings authority,
    HttpModeConfig http,
    TunnelLimits limits,
    String adminPasswordHash,
    AdminTls adminTls) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
  public static final SocketAddress DEFAULT_ADMIN_LISTEN = SocketAddress.inetSocketAddress(15000, "127.0.0.1");

  /** A node that computes its key state from the seed it holds and has no authority. */
  public NodeConfig(String nodeId, Instant genesis, Duration interval, SeedSource seed, CipherSuite cipher,
                    AeadProvider provider, SocketAddress tunnelListen, Map<String, SocketAddress> services,
                    List<OutboundRoute> outbound, Duration connectTimeout, Duration handshakeTimeout,
                    SocketAddress adminListen) {
    this(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound, connectTimeout,
        handshakeTimeout, adminListen, null, null);
  }

  /** A node without an HTTP listener. */
  public NodeConfig(String nodeId, Instant genesis, Duration interval, SeedSource seed, CipherSuite cipher,
                    AeadProvider provider, SocketAddress tunnelListen, Map<String, SocketAddress> services,
                    List<OutboundRoute> outbound, Duration connectTimeout, Duration handshakeTimeout,
                    SocketAddress adminListen, AuthorityRecovery.Settings authority) {
    this(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound, connectTimeout,
        handshakeTimeout, adminListen, authority, null);
  }

  /** A node with default tunnel limits and a dashboard password generated at start. */
  public NodeConfig(String nodeId, Instant genesis, Duration interval, SeedSource seed, CipherSuite cipher,
                    AeadProvider provider, SocketAddress tunnelListen, Map<String, SocketAddress> services,
                    List<OutboundRoute> outbound, Duration connectTimeout, Duration handshakeTimeout,
                    SocketAddress adminListen, AuthorityRecovery.Settings authority, HttpModeConfig http) {
    this(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound, connectTimeout,
        handshakeTimeout, adminListen, authority, http, TunnelLimits.DEFAULTS, null);
  }

  /** A node whose admin port speaks plain HTTP. */
  public NodeConfig(String nodeId, Instant genesis, Duration interval, SeedSource seed, CipherSuite cipher,
                    AeadProvider provider, SocketAddress tunnelListen, Map<String, SocketAddress> services,
                    List<OutboundRoute> outbound, Duration connectTimeout, Duration handshakeTimeout,
                    SocketAddress adminListen, AuthorityRecovery.Settings authority, HttpModeConfig http,
                    TunnelLimits limits, String adminPasswordHash) {
    this(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound, connectTimeout,
        handshakeTimeout, adminListen, authority, http, limits, adminPasswordHash, null);
  }

  public NodeConfig {
    services = Map.copyOf(services);
    outbound = List.copyOf(outbound);
  }

  public NodeConfig withAdmin(SocketAddress admin) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, admin, authority, http, limits, adminPasswordHash, adminTls);
  }

  public NodeConfig withSeed(SeedSource s) {
    return new NodeConfig(nodeId, genesis, interval, s, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, limits, adminPasswordHash, adminTls);
  }

  public NodeConfig withLimits(TunnelLimits l) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, l, adminPasswordHash, adminTls);
  }

  public NodeConfig withHttp(HttpModeConfig h) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, h, limits, adminPasswordHash, adminTls);
  }

  public NodeConfig withAuthority(SeedSource s, AuthorityRecovery.Settings a) {
    return new NodeConfig(nodeId, genesis, interval, s, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, a, http, limits, adminPasswordHash, adminTls);
  }

  public NodeConfig withAdminTls(AdminTls tls) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, limits, adminPasswordHash, tls);
  }

  /** The same node with other inbound services and outbound listeners (what a config reload may change). */
  public NodeConfig withRoutes(Map<String, SocketAddress> newServices, List<OutboundRoute> newOutbound) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, newServices, newOutbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, limits, adminPasswordHash, adminTls);
  }

  public NodeConfig withAdminPassword(String hash) {
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, limits, hash, adminTls);
  }
}
