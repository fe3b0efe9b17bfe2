package io.sscmic.gateway.config;

import static io.sscmic.gateway.config.ConfigKey.Default.none;
import static io.sscmic.gateway.config.ConfigKey.Default.required;
import static io.sscmic.gateway.config.ConfigKey.Default.value;
import static io.sscmic.gateway.config.ConfigKey.Env.FILE_ONLY;
import static io.sscmic.gateway.config.ConfigKey.Env.OVERRIDE;
import static io.sscmic.gateway.config.ConfigKey.Reload.APPLIED;
import static io.sscmic.gateway.config.ConfigKey.Reload.IGNORED;
import static io.sscmic.gateway.config.ConfigKey.Reload.RESTART;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.http.HttpModeConfig;

import io.sscmic.gateway.intercept.InterceptConfig;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.AuthorityRecovery.Method;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every key of a node's config file, once: its name, environment override, whether a reload
 * applies it, its parser, default and a line for the reference. {@link NodeConfigParser}, the
 * environment overrides ({@link ConfigLoader}), the reload diff (which changed keys need a restart)
 * and the reference in docs/OPERATIONS.md ({@link ConfigReference}) all read this table; a new key
 * is one entry here (a constant: {@link #key} adds it to {@link #ALL}) plus the line of
 * {@link NodeConfigParser} that puts its value in its section. The order of the constants is the
 * reference's and that in which a refused reload names keys.
 */
public final class NodeKeys {
  /** Below this interval claim 2 (network delay much smaller than the interval) gets fragile. */
  public static final Duration MIN_INTERVAL = Duration.ofMillis(10);
  private static final String NAME_RULE = "letters, digits, '.', '_' or '-', at most 63 characters";

  /** Filled by {@link #key} as the constants below are initialised, in their order. */
  private static final List<ConfigKey<?>> TABLE = new ArrayList<>();
  /** The table, in the reference's order: the order of the constants below. */
  public static final List<ConfigKey<?>> ALL = Collections.unmodifiableList(TABLE);

  private NodeKeys() {
  }

  public static final ConfigKey<String> NODE_ID = key("node.id",
      ValueParsers.matching(ValueParsers.NAME, "required: " + NAME_RULE), required(NAME_RULE), OVERRIDE, RESTART,
      c -> c.node().id(), "`orders-1`",
      "this node's name (letters, digits, `.`, `_`, `-`; at most 63); a metrics label and log prefix");

  public static final ConfigKey<Instant> KEYSYN_GENESIS = key("keysyn.genesis", ValueParsers.instant(),
      required("the mesh's start time, e.g. 2026-01-01T00:00:00Z (same on every node)"), OVERRIDE, RESTART,
      c -> c.keysyn().genesis(), "`\"2026-01-01T00:00:00Z\"`",
      "ISO-8601 UTC start of the mesh's epoch count; the same on every node");
  public static final ConfigKey<Duration> KEYSYN_INTERVAL = key("keysyn.interval",
      ValueParsers.durationAtLeast(MIN_INTERVAL, "must be at least " + MIN_INTERVAL.toMillis() + "ms"),
      required("a duration such as 30s, 500ms or 5m"), OVERRIDE, RESTART, c -> c.keysyn().interval(), "`30s`",
      "ΔT, the key rotation interval (`30s`, `500ms`, `5m`, `PT30S`); at least 10 ms; the same on every node");
  public static final ConfigKey<Path> KEYSYN_SEED_FILE = key("keysyn.seed-file", ValueParsers.path(),
      none("see below"), OVERRIDE, RESTART, c -> seedFrom(c, "keysyn.seed-file"), "`/etc/sscmic/seed`",
      "path of the seed file (base64 or hex, at least 32 bytes)");
  public static final ConfigKey<String> KEYSYN_SEED_ENV = key("keysyn.seed-env", ValueParsers.text(),
      none("see below"), OVERRIDE, RESTART, c -> seedFrom(c, "keysyn.seed-env"), "`SSCMIC_SEED`",
      "name of an environment variable holding the seed");

  public static final ConfigKey<java.util.List<URI>> AUTHORITY_URL = key("authority.url", ValueParsers.httpsUrls(),
      none("none"), OVERRIDE, RESTART, authority(AuthorityRecovery.Settings::urls),
      "`https://authority.internal:8443` or `https://a1:8443,https://a2:8443`",
      "`https://host:port` of the authority; with it the node recovers its key state there. Several URLs, "
          + "comma-separated (or a YAML list), name the replicas of an HA authority: each request goes to the one "
          + "that answered last and, when it refuses, takes over 2 s to connect (5 s to handshake) or answers 5xx, to the next "
          + "(see \"Authority high availability\")");
  public static final ConfigKey<Path> AUTHORITY_CA_FILE = key("authority.ca-file", ValueParsers.path(),
      none("required with url"), OVERRIDE, RESTART, authority(AuthorityRecovery.Settings::caFile),
      "`/etc/sscmic/ca.crt`", "the mesh CA certificate (`ca.crt` from `sscmic init`; public); during a CA rotation "
          + "`ca-bundle.crt` with the old and the new CA (every certificate in the file is trusted, read at start)");
  public static final ConfigKey<Path> AUTHORITY_STATE_DIR = key("authority.state-dir", ValueParsers.path(),
      none("required with url"), OVERRIDE, RESTART, authority(AuthorityRecovery.Settings::stateDir),
      "`/var/lib/sscmic`", "where the node keeps `node.crt` and `node.key` (0600) after enrolling");
  /** Needed only until the node has enrolled: a reload ignores a change. */
  public static final ConfigKey<Path> AUTHORITY_TOKEN_FILE = key("authority.token-file", ValueParsers.path(),
      none("none"), OVERRIDE, IGNORED, c -> null, "`/etc/sscmic/token`",
      "a file holding the one-time enrollment token; needed only until the node has enrolled");
  public static final ConfigKey<String> AUTHORITY_TOKEN_ENV = key("authority.token-env", ValueParsers.text(),
      none("none"), OVERRIDE, IGNORED, c -> null, "`SSCMIC_TOKEN`",
      "or the name of an environment variable holding it; set at most one of the two");
  public static final ConfigKey<Method> AUTHORITY_RECOVERY = key("authority.recovery",
      ValueParsers.choice(choices("method2", Method.SEALED_STATE, "method1", Method.EPOCH_ONLY), "expected method2 "
          + "(default: the authority sends the key state) or method1 (the node holds the seed)"),
      value("method2"), OVERRIDE, RESTART, authority(AuthorityRecovery.Settings::method), "`method2`",
      "`method2`: the authority sends the key state sealed to the node (no seed on the node); `method1`: the node "
          + "holds the seed and asks for the epoch only");
  public static final ConfigKey<Duration> AUTHORITY_REFRESH = key("authority.refresh",
      ValueParsers.durationAtLeast(Duration.ofMillis(100), "must be at least 100ms"), value("30s"), OVERRIDE,
      RESTART, authority(AuthorityRecovery.Settings::refresh), "`30s`",
      "how often a running node asks the authority for news (re-seeds); at least 100ms");

  public static final ConfigKey<SocketAddress> TUNNEL_LISTEN = key("tunnel.listen", ValueParsers.address(),
      none("none"), OVERRIDE, RESTART, c -> c.tunnel().listen(), "`0.0.0.0:7443`",
      "address of the inbound tunnel listener; required when `services` is set");
  public static final ConfigKey<CipherSuite> TUNNEL_CIPHER = key("tunnel.cipher",
      ValueParsers.parsedBy(CipherSuite::parse), value("aes-256-gcm"), OVERRIDE, APPLIED, c -> c.tunnel().cipher(),
      "`chacha20-poly1305`", "or `chacha20-poly1305` (worth it only on JDK 25+ or without AES instructions)");
  public static final ConfigKey<AeadProvider> TUNNEL_PROVIDER = key("tunnel.provider",
      ValueParsers.enumNamed(AeadProvider.class, "expected jdk or bouncy-castle"),
      value(AeadProvider.defaultProvider().name().toLowerCase(Locale.ROOT).replace('_', '-')), OVERRIDE, APPLIED,
      c -> c.tunnel().provider(), "`bouncy-castle`",
      "AEAD implementation: `jdk` or `bouncy-castle` (see docs/BENCHMARKS.md)");
  public static final ConfigKey<Duration> TUNNEL_CONNECT_TIMEOUT = key("tunnel.connect-timeout",
      ValueParsers.duration(), value("5s"), OVERRIDE, APPLIED, c -> c.tunnel().connectTimeout(), "`2s`",
      "connecting to a peer sidecar or to a local service");
  public static final ConfigKey<Duration> TUNNEL_HANDSHAKE_TIMEOUT = key("tunnel.handshake-timeout",
      ValueParsers.duration(), value("5s"), OVERRIDE, APPLIED, c -> c.tunnel().handshakeTimeout(), "`5s`",
      "from TCP connect to a verified HELLO/ACCEPT, and on the server to the client's first authenticated frame "
          + "after ACCEPT (only then is the local service dialled)");
  public static final ConfigKey<Integer> TUNNEL_MAX_CONNECTIONS = key("tunnel.max-connections",
      ValueParsers.positive(), value("10000"), OVERRIDE, APPLIED, c -> c.tunnel().limits().maxConnections(),
      "`2000`", "inbound tunnel connections open at once whose hello verified; more are refused as `overloaded`. "
          + "Connections still in their handshake have a separate pool of the same size, so strangers that never "
          + "send a valid hello cannot fill this one");
  public static final ConfigKey<Integer> TUNNEL_HANDSHAKE_RATE = key("tunnel.handshake-rate",
      ValueParsers.positive(), value("5000"), OVERRIDE, APPLIED,
      c -> c.tunnel().limits().handshakesPerSecondPerSource(), "`2000`",
      "new inbound handshakes per second from one source address (burst twice that); more are refused as "
          + "`overloaded` before any MAC is computed. A peer sidecar opening short connections reaches over a "
          + "thousand a second legitimately");
  public static final ConfigKey<Integer> TUNNEL_MAX_CONNECTIONS_PER_PEER = key("tunnel.max-connections-per-peer",
      ValueParsers.positive(), value("1000"), OVERRIDE, APPLIED, c -> c.tunnel().limits().maxConnectionsPerPeer(),
      "`500`", "inbound tunnel connections open at once from one peer, counted once its hello has verified; more "
          + "are refused as `overloaded`. A peer is its source address: the hello proves mesh membership, not which "
          + "node sent it, so a node id in it would be a claim. Peers behind one NAT address share the limit");
  public static final ConfigKey<Integer> TUNNEL_MAX_HANDSHAKES_PER_SOURCE = key("tunnel.max-handshakes-per-source",
      ValueParsers.positive(), value("128"), OVERRIDE, APPLIED, c -> c.tunnel().limits().maxHandshakesPerSource(),
      "`64`", "inbound tunnel connections one source address may hold before their hello verifies; more are "
          + "refused as `overloaded` (`limit=\"max_handshakes_per_source\"`) before anything is read. Big enough "
          + "for a peer's burst of new connections (an HTTP pool opens up to 64 at once), small enough that one "
          + "address cannot fill the handshake pool");
  public static final ConfigKey<Duration> TUNNEL_IDLE_TIMEOUT = key("tunnel.idle-timeout",
      ValueParsers.duration(), value("1h"), OVERRIDE, APPLIED, c -> c.tunnel().limits().idleTimeout(), "`15m`",
      "a stream on which nothing moved either way for this long is closed (the peer is told `timeout`, the local "
          + "connection reset); `0s` never");


  public static final ConfigKey<TunnelVersion> TUNNEL_VERSION = key("tunnel.version",
      ValueParsers.choice(choices("v1", TunnelVersion.V1, "v2", TunnelVersion.V2), "expected v1 or v2"),
      value("v1"), OVERRIDE, RESTART, c -> c.v2().version(), "`v2`",
      "the tunnel protocol this node dials: `v1` (one tunnel connection per application connection) or `v2` "
          + "(pooled, mutually authenticated peer connections carrying streams; needs the node certificate: an "
          + "`authority` section or `tunnel.identity-dir`). A v2 route also needs `outbound[i].peer-node`; a route "
          + "without it dials v1. The tunnel listener accepts both versions on its one port whatever this says. "
          + "`sscmic init` and `sscmic demo` write `v2`");
  public static final ConfigKey<Path> TUNNEL_POLICY_FILE = key("tunnel.policy-file", ValueParsers.path(),
      none("none: the authority's mesh policy (`sscmic policy`) with an authority, else every member reaches "
          + "every service"),
      OVERRIDE, APPLIED,
      c -> c.v2().policyFile(), "`/etc/sscmic/streams.policy`",
      "v2: who may open streams to this node's services, by caller node id (`allow SERVICE CALLER...`, "
          + "`deny SERVICE CALLER...`, `group`; see docs/MUX-v2.md, \"Authorization\"); read at start and at every "
          + "reload; a local file wins over the authority's policy (see \"Mesh policy and revocation\"). A refused "
          + "stream is reset and counted (`sscmic_mux_streams_refused_total{reason=\"policy\"}`). v1 connections carry no "
          + "caller identity and are not checked");
  public static final ConfigKey<Path> TUNNEL_IDENTITY_DIR = key("tunnel.identity-dir", ValueParsers.path(),
      none("the authority's"), OVERRIDE, RESTART, c -> c.v2().identityDir(), "`/etc/sscmic/identity`",
      "v2, for a node without an `authority` section: a directory with `node.crt` and `node.key` (issued by the "
          + "mesh CA, CN = node id) and the mesh CA's `ca.crt`. With an authority the node uses the certificate it "
          + "enrolled for (`authority.state-dir`) and `authority.ca-file`, and follows its renewals");
  public static final ConfigKey<Integer> TUNNEL_POOL_SIZE = key("tunnel.pool-size", ValueParsers.countOrAuto(64,
      Math.min(Runtime.getRuntime().availableProcessors(), 4)), value("auto"), OVERRIDE, RESTART,
      c -> c.v2().poolSize(), "`2`",
      "v2: the most connections this node keeps to one peer, 1 to 64; `auto` is min(cores, 4). A further "
          + "connection opens (on the next event loop) only when every open one carries a stream, so bulk streams "
          + "spread over cores and idle peers cost one connection");
  public static final ConfigKey<Duration> TUNNEL_POOL_IDLE_TIMEOUT = key("tunnel.pool-idle-timeout",
      ValueParsers.durationAtLeast(Duration.ofSeconds(1), "must be at least 1s"), value("2m"), OVERRIDE, RESTART,
      c -> c.v2().poolIdleTimeout(), "`5m`",
      "v2: a pooled peer connection without a stream for this long is closed (GOAWAY); the next application "
          + "connection dials again (one handshake)");
  public static final ConfigKey<Integer> TUNNEL_MAX_CONCURRENT_STREAMS = key("tunnel.max-concurrent-streams",
      ValueParsers.count(1 << 20), value("8192"), OVERRIDE, RESTART, c -> c.v2().maxConcurrentStreams(), "`1000`",
      "v2: streams one peer connection carries at once, both ways (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); "
          + "beyond it the pool opens another connection, up to `tunnel.pool-size`");
  public static final ConfigKey<Integer> TUNNEL_STREAM_WINDOW = key("tunnel.stream-window",
      ValueParsers.byteSize(16 * 1024, 16 << 20), value("256KiB"), OVERRIDE, RESTART, c -> c.v2().streamWindow(),
      "`4MiB`",
      "v2: how much one stream may have in flight between two nodes before its reader acknowledges it "
          + "(HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE), 16KiB to 16MiB. One bulk stream moves at most this much per "
          + "round trip of an acknowledgement, and a stream whose application reads slowly pins up to this much in "
          + "the receiving node (a peer connection as a whole at most 32MiB, or 8 windows if that is more)");
  public static final ConfigKey<Integer> TUNNEL_EVENT_LOOPS = key("tunnel.event-loops",
      ValueParsers.parsedBy(TunnelSection::parseEventLoops), value("auto"), OVERRIDE, RESTART,
      c -> c.tunnel().eventLoops(), "`2`",
      "event loops the data plane runs on: the tunnel listener, each outbound listener and the HTTP listener "
          + "accept on this many (one server per loop on the same port), and a connection and its onward "
          + "connection stay on the loop that accepted it. `auto`: the number of cores, at most 4 (at most the "
          + "Vert.x pool of twice the cores is used). The limits (`tunnel.max-*`, `tunnel.handshake-rate`, "
          + "`http.max-client-connections`) hold for each listener as a whole, whichever loop a connection lands on");

  public static final ConfigKey<Optional<SocketAddress>> ADMIN_LISTEN = key("admin.listen",
      ValueParsers.addressOrNone(), value("127.0.0.1:15000"), OVERRIDE, RESTART, c -> c.admin().listen(),
      "`0.0.0.0:15000`", "the admin port; `none` disables it");
  public static final ConfigKey<String> ADMIN_PASSWORD_HASH = key("admin.password-hash",
      ValueParsers.passwordHash(), none("generated"), FILE_ONLY, RESTART, c -> c.admin().passwordHash(),
      "`\"pbkdf2-sha256$600000$...$...\"`", "the dashboard password (also `/status`'s HTTP Basic) as "
          + "`pbkdf2-sha256$<iterations>$<salt>$<hash>` (from `sscmic admin-password`; quote it in YAML). Without it "
          + "a random password is generated at each start into a 0600 file whose path the log shows "
          + "(`<authority.state-dir>/admin-password`, or a temporary file for a seed-only node; see \"Admin port\"). "
          + "A malformed value stops the node at start, naming the key");
  public static final ConfigKey<String> ADMIN_TLS_CERT_FILE = key("admin.tls.cert-file", ValueParsers.text(),
      none("none"), FILE_ONLY, RESTART, c -> c.admin().tls() == null ? null : c.admin().tls().certFile(),
      "`/etc/sscmic/admin.crt`", "TLS on the admin port: the server certificate (chain), PEM, read when the port "
          + "starts; with `admin.tls.key-file`, both or neither. With it `/metrics`, `/status` and the dashboard are "
          + "served over HTTPS only and the session and CSRF cookies carry `Secure`; an unreadable file stops the "
          + "node, naming the key");
  public static final ConfigKey<String> ADMIN_TLS_KEY_FILE = key("admin.tls.key-file", ValueParsers.text(),
      none("none"), FILE_ONLY, RESTART, c -> c.admin().tls() == null ? null : c.admin().tls().keyFile(),
      "`/etc/sscmic/admin.key`", "the admin port's private key, PEM (PKCS#8 or PKCS#1)");

  public static final ConfigKey<SocketAddress> SERVICES = key("services.NAME", ValueParsers.addressAsWritten(), none("none"),
      FILE_ONLY, APPLIED, NodeConfig::services, "`orders: 127.0.0.1:8080`",
      "inbound: the local `host:port` of service NAME");
  public static final ConfigKey<SocketAddress> OUTBOUND_LISTEN = key("outbound[i].listen", ValueParsers.address(),
      required(""), FILE_ONLY, APPLIED, NodeConfig::outbound, "`127.0.0.1:9001`",
      "a local `host:port` for applications");
  public static final ConfigKey<String> OUTBOUND_SERVICE = key("outbound[i].service",
      ValueParsers.matching(ValueParsers.NAME, "required: the service name known to the peer"),
      required("the service name known to the peer"), FILE_ONLY, APPLIED, NodeConfig::outbound, "`billing`",
      "the service name on the peer");
  public static final ConfigKey<SocketAddress> OUTBOUND_PEER = key("outbound[i].peer", ValueParsers.address(),
      none("by name"), FILE_ONLY, APPLIED, NodeConfig::outbound, "`10.0.0.7:7443`",
      "the peer sidecar's tunnel listener `host:port`, a static override; without it the service is resolved by "
          + "name (`resolve.resolver`: the authority's registry, or DNS SRV) and its endpoints follow live");

  public static final ConfigKey<String> OUTBOUND_PEER_NODE = key("outbound[i].peer-node",
      ValueParsers.matching(ValueParsers.NAME, NAME_RULE), none("none"), FILE_ONLY, APPLIED, NodeConfig::outbound,
      "`billing-1`", "the peer sidecar's node id (its `node.id`, its certificate's CN); with `tunnel.version: v2` "
          + "the route dials v2 and the peer must prove this identity. Without it the route dials v1");

  public static final ConfigKey<SocketAddress> HTTP_LISTEN = key("http.listen", ValueParsers.address(),
      none("none"), OVERRIDE, RESTART, http(HttpModeConfig::listen), "`127.0.0.1:7080`",
      "the HTTP listener (reverse and forward proxy); loopback unless applications elsewhere must reach it");
  public static final ConfigKey<SocketAddress> HTTP_SERVICES = key("http.services.NAME", ValueParsers.addressAsWritten(),
      none("required with listen"), FILE_ONLY, RESTART, http(HttpModeConfig::services),
      "`orders: [10.0.0.7:7443, 10.0.0.8:7443]`",
      "the peer sidecars (`host:port` of their tunnel listeners) that serve service NAME; one or a list, a static "
          + "override. An empty list (`orders: []`) resolves NAME by name (`resolve.resolver`), live");
  public static final ConfigKey<SocketAddress> HTTP_SERVICE_PEERS = key("http.services.NAME.peers",
      ValueParsers.addressAsWritten(), none("required in the long form"), FILE_ONLY, RESTART,
      http(HttpModeConfig::services), "`[10.0.0.7:7443, 10.0.0.8:7443]`",
      "the long form of a service, a map: its peer sidecars, as in the short form (`orders: {peers: [...], "
          + "protocol: h2c}`)");
  public static final ConfigKey<ServiceProtocol> HTTP_SERVICE_PROTOCOL = key("http.services.NAME.protocol",
      ValueParsers.choice(choices("http1", ServiceProtocol.HTTP1, "h2c", ServiceProtocol.H2C),
          "expected http1 or h2c"), value("http1"), FILE_ONLY, RESTART, http(HttpModeConfig::protocols), "`h2c`",
      "what the service speaks behind its peer sidecar, so what the caller's pool speaks to it through the tunnel: "
          + "`http1` (HTTP/1.1 keep-alive) or `h2c` (HTTP/2 with prior knowledge: gRPC, streams, trailers, many "
          + "requests per tunnel connection). Independent of what applications speak to the listener "
          + "(`http.h2c`): an HTTP/1.1 client can call an h2c service and the other way round");
  public static final ConfigKey<String> HTTP_SERVICE_PEER_NODE = key("http.services.NAME.peer-node",
      ValueParsers.matching(ValueParsers.NAME, NAME_RULE), none("none"), FILE_ONLY, RESTART,
      http(HttpModeConfig::peerNodes), "`beta`",
      "the node id of the service's peer sidecars (their `node.id`, their certificates' CN), in the long form "
          + "(`orders: {peers: [10.0.0.7:7443], peer-node: beta}`): with `tunnel.version: v2` each request goes "
          + "as an HTTP/2 request stream on the node's v2 peer connections (no loopback tunnel entry), and the peer "
          + "must prove this identity. Without it the requests take the loopback entry (v1). Endpoints from the "
          + "registry name their node already");
  public static final ConfigKey<String> HTTP_ROUTE_HOST = key("http.routes[i].host", ValueParsers.text(),
      none("any"), FILE_ONLY, RESTART, http(HttpModeConfig::routes), "`api.internal`",
      "match the Host header (without port), case-insensitive");
  public static final ConfigKey<String> HTTP_ROUTE_PATH_PREFIX = key("http.routes[i].path-prefix",
      ValueParsers.urlPath(), value("/"), FILE_ONLY, RESTART, http(HttpModeConfig::routes), "`/orders/`",
      "match the start of the path");
  public static final ConfigKey<String> HTTP_ROUTE_SERVICE = key("http.routes[i].service", ValueParsers.text(),
      required(""), FILE_ONLY, RESTART, http(HttpModeConfig::routes), "`orders`", "a name from `http.services`");
  public static final ConfigKey<Duration> HTTP_ROUTE_TIMEOUT = key("http.routes[i].timeout",
      ValueParsers.duration(), none("`http.timeout`"), FILE_ONLY, RESTART, http(HttpModeConfig::routes), "`10s`",
      "from the request to the response's first byte; then 504");
  public static final ConfigKey<String> HTTP_ROUTE_NAME = key("http.routes[i].name", ValueParsers.text(),
      none("`HOST/PATH-PREFIX` (`*` for any host)"), FILE_ONLY, RESTART, http(HttpModeConfig::routes), "`orders-api`",
      "the route's `route` label on `sscmic_http_requests_total` and `sscmic_http_request_duration_seconds` and its "
          + "row on the dashboard; unique among the routes (routes are config, so the label stays bounded)");
  public static final ConfigKey<Duration> HTTP_TIMEOUT = key("http.timeout", ValueParsers.duration(),
      value("30s"), OVERRIDE, RESTART, http(HttpModeConfig::timeout), "`30s`", "default route timeout");
  public static final ConfigKey<Integer> HTTP_MAX_CONNECTIONS_PER_PEER = key("http.max-connections-per-peer",
      ValueParsers.count(10_000), value("64"), FILE_ONLY, RESTART, http(HttpModeConfig::maxConnectionsPerPeer),
      "`64`", "bound of pooled tunnel streams per peer (requests beyond wait in a queue of 10x); at most 10000");
  public static final ConfigKey<Double> HTTP_RETRY_BUDGET_RATIO = key("http.retry-budget.ratio",
      ValueParsers.parsedBy(NodeKeys::ratio), value("0.2"), FILE_ONLY, RESTART,
      http(h -> h.retryBudget().ratio()), "`0.1`",
      "retries each service may add, as a share of its requests over the last 10 s (0 to 1). Only safe requests "
          + "are retried, once, on another peer: those of which no byte left the sidecar (any method, gRPC "
          + "included) and bodiless idempotent ones; never after a timeout");
  public static final ConfigKey<Integer> HTTP_RETRY_BUDGET_MIN_PER_SECOND = key("http.retry-budget.min-per-second",
      ValueParsers.parsedBy(NodeKeys::zeroOrMore), value("10"), FILE_ONLY, RESTART,
      http(h -> h.retryBudget().minPerSecond()), "`5`",
      "retries per second each service may make beyond the ratio, so that a quiet service can retry at all; "
          + "`0` for the ratio alone");
  public static final ConfigKey<String> HTTP_HEALTH_PATH = key("http.health-path", ValueParsers.urlPath(),
      none("none"), FILE_ONLY, RESTART, http(HttpModeConfig::healthPath), "`/healthz`",
      "active health: each peer's service is asked for this path through the tunnel; a 5xx or no answer takes the "
          + "peer out of rotation until a probe passes. Without it, health is passive only (2 consecutive failures "
          + "eject for 2 s, doubling to 30 s)");
  public static final ConfigKey<Duration> HTTP_HEALTH_INTERVAL = key("http.health-interval",
      ValueParsers.duration(), value("5s"), FILE_ONLY, RESTART, http(HttpModeConfig::healthInterval), "`5s`",
      "how often the probes run");
  public static final ConfigKey<Integer> HTTP_MAX_HEADER_SIZE = key("http.max-header-size", ValueParsers.positive(),
      value("8192"), FILE_ONLY, RESTART, http(h -> h.limits().maxHeaderSize()), "`16384`",
      "bytes of request headers (all header lines together); a larger request is answered `431` by the sidecar "
          + "and the connection closed");
  public static final ConfigKey<Integer> HTTP_MAX_INITIAL_LINE_LENGTH = key("http.max-initial-line-length",
      ValueParsers.positive(), value("4096"), FILE_ONLY, RESTART, http(h -> h.limits().maxInitialLineLength()),
      "`8192`", "bytes of the request line (method, URI, version); longer is answered `414` and closed");
  public static final ConfigKey<Duration> HTTP_HEADER_TIMEOUT = key("http.header-timeout",
      ValueParsers.durationAtLeast(Duration.ofNanos(1), "must be more than 0 (it is what stops slow clients)"),
      value("10s"), FILE_ONLY, RESTART, http(h -> h.limits().headerTimeout()), "`5s`",
      "from a connection's opening, or from the first byte of its next request, to the end of that request's "
          + "headers; slower clients (slow loris, or a connection that sends nothing) are answered `408` and "
          + "closed. Not `0s`");
  public static final ConfigKey<Duration> HTTP_IDLE_TIMEOUT = key("http.idle-timeout", ValueParsers.duration(),
      value("60s"), FILE_ONLY, RESTART, http(h -> h.limits().idleTimeout()), "`30s`",
      "a keep-alive connection with no request in progress is closed after this (a request waiting for its "
          + "answer is bounded by the route timeout instead); `0s` never");
  public static final ConfigKey<Integer> HTTP_MAX_CLIENT_CONNECTIONS = key("http.max-client-connections",
      ValueParsers.positive(), value("1024"), FILE_ONLY, RESTART, http(h -> h.limits().maxClientConnections()),
      "`4096`", "client connections open at once on the HTTP listener; a new one beyond is answered `503` and "
          + "closed");
  public static final ConfigKey<Boolean> HTTP_H2C = key("http.h2c", ValueParsers.bool(),
      none("on when a service is `h2c`"), FILE_ONLY, RESTART, http(HttpModeConfig::listensH2c), "`true`",
      "the listener takes HTTP/2 over cleartext from applications (prior knowledge, as gRPC clients use, and "
          + "`Upgrade: h2c`) besides HTTP/1.1. Trade-off: with it on, Vert.x shows the listener a connection only "
          + "once its first request head is in, so `http.header-timeout` and `http.max-client-connections` do not "
          + "bound connections that send nothing or drip their first request's headers (slow loris); HTTP/1.1-only "
          + "meshes keep it off");
  public static final ConfigKey<Boolean> HTTP_ACCESS_LOG = key("http.access-log", ValueParsers.bool(),
      value("false"), OVERRIDE, RESTART, http(HttpModeConfig::accessLog), "`true`",
      "one log line per request (logger `io.sscmic.gateway.http.access`): client, method, host, path without "
          + "query, status, service, peer, ms");

  public static final ConfigKey<Optional<SocketAddress>> TUNNEL_ADVERTISE = key("tunnel.advertise",
      ValueParsers.addressOrNone(), none("derived"), FILE_ONLY, RESTART,
      c -> c.discovery().advertise(), "`10.0.0.7:7443`",
      "the tunnel endpoint this node registers for its `services` in the authority's registry (what callers "
          + "dial). Default: `tunnel.listen`'s host and bound port, or, when that host is a wildcard (`0.0.0.0`), "
          + "the address the authority sees the node's requests come from. `none`: do not register");
  public static final ConfigKey<DiscoverySection.Resolver> RESOLVE_RESOLVER = key("resolve.resolver",
      ValueParsers.choice(choices("authority", DiscoverySection.Resolver.AUTHORITY, "dns",
          DiscoverySection.Resolver.DNS), "expected authority or dns"), value("authority"), FILE_ONLY, RESTART,
      c -> c.discovery().resolver(), "`dns`",
      "how services without a static peer are found: `authority` (the registry: one watch stream, applied live; "
          + "needs `authority.url`) or `dns` (SRV records `_NAME._tcp.<resolve.dns.domain>`)");
  public static final ConfigKey<SocketAddress> RESOLVE_DNS_SERVER = key("resolve.dns.server", ValueParsers.address(),
      none("the system's"), FILE_ONLY, RESTART, c -> c.discovery().dnsServer(), "`10.0.0.2:53`",
      "the DNS server asked for SRV records");
  public static final ConfigKey<String> RESOLVE_DNS_DOMAIN = key("resolve.dns.domain", ValueParsers.text(),
      none("required with dns"), FILE_ONLY, RESTART, c -> c.discovery().dnsDomain(), "`mesh.internal`",
      "SRV names are `_NAME._tcp.<domain>`");
  public static final ConfigKey<Duration> RESOLVE_DNS_REFRESH = key("resolve.dns.refresh",
      ValueParsers.durationAtLeast(Duration.ofMillis(100), "must be at least 100ms"), value("30s"), FILE_ONLY,
      RESTART, c -> c.discovery().dnsRefresh(), "`10s`",
      "how often each watched SRV name is asked again (a failed query keeps the last answer)");
  public static final ConfigKey<Path> RESOLVE_CACHE_FILE = key("resolve.cache-file", ValueParsers.path(),
      none("`<authority.state-dir>/registry-view.json`"), FILE_ONLY, RESTART, c -> c.discovery().cacheFile(),
      "`/var/lib/sscmic/registry-view.json`",
      "where the last registry view is kept (0600, replaced atomically at each change): a sidecar that restarts "
          + "while the authority is down routes by it");

  public static final ConfigKey<SocketAddress> INTERCEPT_LISTEN = key("intercept.listen", ValueParsers.address(),
      value("127.0.0.1:15001"), OVERRIDE, RESTART, intercept(InterceptConfig::listen), "`127.0.0.1:15001`",
      "transparent interception: the listener the TPROXY rule hands captured connections to (IP_TRANSPARENT, "
          + "epoll transport, CAP_NET_ADMIN). The section is off unless `intercept.outbound` or `intercept.registry` "
          + "lists a destination");
  public static final ConfigKey<Boolean> INTERCEPT_MANAGE_RULES = key("intercept.manage-rules", ValueParsers.bool(),
      value("false"), OVERRIDE, RESTART, intercept(InterceptConfig::manageRules), "`true`",
      "the node installs the nftables table `inet sscmic` and the policy routing at start (replacing a stale set "
          + "a crash left) and removes them when it stops; otherwise `sscmic intercept install` and `remove` do");
  public static final ConfigKey<Integer> INTERCEPT_MARK = key("intercept.mark",
      ValueParsers.parsedBy(InterceptKeys::mark), value("0x5353"), OVERRIDE, RESTART,
      intercept(InterceptConfig::mark), "`0x5353`",
      "the firewall mark that routes a captured connection's packets back in through `lo` to the listener; pick "
          + "one no other tool on the host uses");
  public static final ConfigKey<Integer> INTERCEPT_ROUTE_TABLE = key("intercept.route-table", ValueParsers.count(252),
      value("153"), OVERRIDE, RESTART, intercept(InterceptConfig::routeTable), "`153`",
      "the policy-routing table (1-252) that holds `local 0.0.0.0/0 dev lo` for marked packets; ours alone");
  public static final ConfigKey<Integer> INTERCEPT_EXCLUDE_UID = key("intercept.exclude-uid",
      ValueParsers.parsedBy(InterceptKeys::uid), none("none"), OVERRIDE, RESTART,
      intercept(InterceptConfig::excludeUid), "`1337`",
      "connections of this uid (the sidecar's own user) are never captured. Without it only the sidecar's tunnel "
          + "peers and authority are excluded (by address), which is enough unless a captured block holds other "
          + "hosts the sidecar dials");
  public static final ConfigKey<Duration> INTERCEPT_DETECT_TIMEOUT = key("intercept.detect-timeout",
      ValueParsers.durationAtLeast(Duration.ofMillis(1), "must be at least 1ms"), value("300ms"), OVERRIDE, RESTART,
      intercept(InterceptConfig::detectTimeout), "`500ms`",
      "how long a captured connection waits for its client's first bytes (protocol detection) before it is "
          + "carried as opaque TCP; a client that speaks second waits this long once per connection");
  public static final ConfigKey<java.util.Set<Integer>> INTERCEPT_SERVER_FIRST_PORTS = key(
      "intercept.server-first-ports", InterceptKeys.ports(), value("[21, 22, 25, 110, 143, 587, 3306]"), FILE_ONLY,
      RESTART, intercept(InterceptConfig::serverFirstPorts), "`[3306, 25]`",
      "destination ports whose server speaks first (FTP, SSH, SMTP, POP3, IMAP, MySQL): carried at once as TCP, "
          + "nothing is awaited from the client. The default is that list; `[]` none");
  public static final ConfigKey<java.util.Set<Integer>> INTERCEPT_INBOUND_PORTS = key("intercept.inbound-ports",
      InterceptKeys.ports(), value("[]"), FILE_ONLY, RESTART, intercept(InterceptConfig::inboundPorts),
      "`[6379, 5432]`",
      "inbound capture: local service ports that only the sidecar may reach (over loopback); a connection to one "
          + "from outside is reset by the kernel and counted (`sscmic_intercept_plaintext_refused_total`). For "
          + "services that listen on all addresses; never the tunnel port");
  public static final ConfigKey<String> INTERCEPT_OUTBOUND_MATCH = key("intercept.outbound[i].match",
      ValueParsers.text(), required("e.g. 10.1.0.5:6379, 10.1.0.0/16:8000-8999 or 10.1.0.0/16"), FILE_ONLY, RESTART,
      intercept(InterceptConfig::routes), "`10.1.0.5:6379`",
      "destinations captured: an IPv4 address or CIDR block, with a port, a port range or none (every port); "
          + "the first matching entry wins");
  public static final ConfigKey<String> INTERCEPT_OUTBOUND_SERVICE = key("intercept.outbound[i].service",
      ValueParsers.matching(ValueParsers.NAME, "required: the service name known to the peer"),
      required("the service name known to the peer"), FILE_ONLY, RESTART, intercept(InterceptConfig::routes),
      "`redis`", "the service on the peer that captured connections to `match` are carried to");
  public static final ConfigKey<SocketAddress> INTERCEPT_OUTBOUND_PEER = key("intercept.outbound[i].peer",
      ValueParsers.address(), required(""), FILE_ONLY, RESTART, intercept(InterceptConfig::routes),
      "`10.1.0.5:7443`", "the peer sidecar's tunnel listener `host:port`, as for `outbound[i].peer`");
  public static final ConfigKey<String> INTERCEPT_REGISTRY_SERVICE = key("intercept.registry[i].service",
      ValueParsers.matching(ValueParsers.NAME, "required: a service name the registry (resolve.resolver) knows"),
      required("a service name the registry knows"), FILE_ONLY, RESTART, intercept(InterceptConfig::registry),
      "`redis`", "destinations from the registry: every peer sidecar the node's resolver gives for this service "
          + "(live, as for outbound routes by name) whose address is an IPv4 literal makes that address with "
          + "`port` a captured destination, carried to the service like an `intercept.outbound` entry's. For "
          + "services that run on the hosts of their sidecars (the registry has the sidecars' addresses)");
  public static final ConfigKey<Integer> INTERCEPT_REGISTRY_PORT = key("intercept.registry[i].port",
      ValueParsers.count(65535), required("the port applications dial the service at"), FILE_ONLY, RESTART,
      intercept(InterceptConfig::registry), "`6379`",
      "the port applications dial the service at, on its hosts' addresses");

  public static final ConfigKey<URI> TRACING_OTLP_ENDPOINT = key("tracing.otlp-endpoint", ValueParsers.otlpUrl(),
      none("none: tracing off"), OVERRIDE, RESTART, tracing(TracingSection::otlpEndpoint),
      "`http://otel-collector:4318`", "OTLP/HTTP (protobuf) traces URL of a collector; `http://host:4318` means "
          + "`http://host:4318/v1/traces`. With it HTTP mode traces each request (see \"Tracing\"); without it no "
          + "tracing SDK is started. Read when the process starts (Vert.x takes its tracer then)");
  public static final ConfigKey<Double> TRACING_SAMPLE_RATIO = key("tracing.sample-ratio", ValueParsers.ratio(),
      value("0.01"), OVERRIDE, RESTART, tracing(TracingSection::sampleRatio), "`1`",
      "share of the traces this node starts (requests without a `traceparent`) that are recorded, 0 to 1; a "
          + "request with a `traceparent` follows its caller's decision (parent-based sampling)");
  public static final ConfigKey<java.util.Set<String>> TRACING_HTTP_SERVICES = key("tracing.http-services",
      ValueParsers.names(), value("[]"), FILE_ONLY, RESTART, tracing(TracingSection::httpServices), "`[orders]`",
      "inbound services (names from `services`) that speak plain HTTP/1.1: as the receiving sidecar this node "
          + "reads their requests (a loopback HTTP hop before the service) so that its span joins the caller's "
          + "trace and the service gets its `traceparent`. Not for services that upgrade (WebSocket) or speak "
          + "HTTP/2; the others stay opaque TCP");

  private static <T> ConfigKey<T> key(String name, ValueParser<T> parser, ConfigKey.Default dflt, ConfigKey.Env env,
                                      ConfigKey.Reload reload, Function<NodeConfig, ?> current, String example,
                                      String description) {
    ConfigKey<T> key = new ConfigKey<>(name, parser, dflt, env, reload, current, example, description);
    TABLE.add(key);
    return key;
  }

  private static Function<NodeConfig, ?> authority(Function<AuthorityRecovery.Settings, ?> f) {
    return c -> c.authority() == null ? null : f.apply(c.authority());
  }

  private static Function<NodeConfig, ?> intercept(Function<InterceptConfig, ?> f) {
    return c -> c.intercept() == null ? null : f.apply(c.intercept());
  }

  private static Function<NodeConfig, ?> tracing(Function<TracingSection, ?> f) {
    return c -> c.tracing() == null ? null : f.apply(c.tracing());
  }

  private static Function<NodeConfig, ?> http(Function<HttpModeConfig, ?> f) {
    return c -> c.http() == null ? null : f.apply(c.http());
  }

  private static String seedFrom(NodeConfig c, String key) {
    SeedSource s = c.keysyn().seed();
    return s != null && key.equals(s.configKey()) ? s.describe() : null;
  }

  private static double ratio(String s) {
    double d;
    try {
      d = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      d = Double.NaN;
    }
    if (!(d >= 0 && d <= 1)) {
      throw new IllegalArgumentException("expected a number from 0 to 1 (0.2 = 20 %), got '" + s + "'");
    }
    return d;
  }

  private static int zeroOrMore(String s) {
    try {
      int n = Integer.parseInt(s);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new IllegalArgumentException("expected a whole number of 0 or more, got '" + s + "'");
  }

  private static <T> Map<String, T> choices(String a, T ta, String b, T tb) {
    Map<String, T> m = new LinkedHashMap<>();
    m.put(a, ta);
    m.put(b, tb);
    return m;
  }
}
