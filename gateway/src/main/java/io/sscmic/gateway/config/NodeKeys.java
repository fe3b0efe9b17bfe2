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

  public static final ConfigKey<URI> AUTHORITY_URL = key("authority.url", ValueParsers.httpsUrl(), none("none"),
      OVERRIDE, RESTART, authority(a -> a.host() + ":" + a.port()), "`https://authority.internal:8443`",
      "`https://host:port` of the authority; with it the node recovers its key state there");
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
      required(""), FILE_ONLY, APPLIED, NodeConfig::outbound, "`10.0.0.7:7443`",
      "the peer sidecar's tunnel listener `host:port`");

  public static final ConfigKey<SocketAddress> HTTP_LISTEN = key("http.listen", ValueParsers.address(),
      none("none"), OVERRIDE, RESTART, http(HttpModeConfig::listen), "`127.0.0.1:7080`",
      "the HTTP listener (reverse and forward proxy); loopback unless applications elsewhere must reach it");
  public static final ConfigKey<SocketAddress> HTTP_SERVICES = key("http.services.NAME", ValueParsers.addressAsWritten(),
      none("required with listen"), FILE_ONLY, RESTART, http(HttpModeConfig::services),
      "`orders: [10.0.0.7:7443, 10.0.0.8:7443]`",
      "the peer sidecars (`host:port` of their tunnel listeners) that serve service NAME; one or a list");
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
  public static final ConfigKey<Duration> HTTP_TIMEOUT = key("http.timeout", ValueParsers.duration(),
      value("30s"), OVERRIDE, RESTART, http(HttpModeConfig::timeout), "`30s`", "default route timeout");
  public static final ConfigKey<Integer> HTTP_MAX_CONNECTIONS_PER_PEER = key("http.max-connections-per-peer",
      ValueParsers.count(10_000), value("64"), FILE_ONLY, RESTART, http(HttpModeConfig::maxConnectionsPerPeer),
      "`64`", "bound of pooled tunnel streams per peer (requests beyond wait in a queue of 10x); at most 10000");
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
  public static final ConfigKey<Boolean> HTTP_ACCESS_LOG = key("http.access-log", ValueParsers.bool(),
      value("false"), OVERRIDE, RESTART, http(HttpModeConfig::accessLog), "`true`",
      "one log line per request (logger `io.sscmic.gateway.http.access`): client, method, host, path without "
          + "query, status, service, peer, ms");


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

  private static Function<NodeConfig, ?> http(Function<HttpModeConfig, ?> f) {
    return c -> c.http() == null ? null : f.apply(c.http());
  }

  private static String seedFrom(NodeConfig c, String key) {
    SeedSource s = c.keysyn().seed();
    return s != null && key.equals(s.configKey()) ? s.describe() : null;
  }

  private static <T> Map<String, T> choices(String a, T ta, String b, T tb) {
    Map<String, T> m = new LinkedHashMap<>();
    m.put(a, ta);
    m.put(b, tb);
    return m;
  }
}
