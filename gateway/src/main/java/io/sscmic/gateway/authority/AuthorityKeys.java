package io.sscmic.gateway.authority;

import static io.sscmic.gateway.config.ConfigKey.Default.none;
import static io.sscmic.gateway.config.ConfigKey.Default.required;
import static io.sscmic.gateway.config.ConfigKey.Default.value;
import static io.sscmic.gateway.config.ConfigKey.Env.FILE_ONLY;
import static io.sscmic.gateway.config.ConfigKey.Reload.RESTART;

import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.ConfigKey;
import io.sscmic.gateway.config.NodeKeys;
import io.sscmic.gateway.config.ValueParser;
import io.sscmic.gateway.config.ValueParsers;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Every key of the authority's config file ({@code authority.yaml}), once, as {@link NodeKeys} is
 * for a node's: it drives {@link AuthorityConfig}'s parser and the authority.yaml reference in
 * docs/OPERATIONS.md. The authority has no environment overrides and no reload. Its values are
 * read as written (an address is not trimmed), as they always were.
 */
public final class AuthorityKeys {
  /** Filled by {@link #key} as the constants below are initialised, in their order. */
  private static final List<ConfigKey<?>> TABLE = new ArrayList<>();
  /** The table, in the reference's order: the order of the constants below. */
  public static final List<ConfigKey<?>> ALL = Collections.unmodifiableList(TABLE);

  private AuthorityKeys() {
  }

  public static final ConfigKey<Instant> MESH_GENESIS = key("mesh.genesis", ValueParsers.instant(),
      required("the mesh's start time, e.g. 2026-01-01T00:00:00Z (same on every node)"), "`2026-01-01T00:00:00Z`",
      "the same value every node has as `keysyn.genesis`");
  public static final ConfigKey<Duration> MESH_INTERVAL = key("mesh.interval",
      ValueParsers.durationAtLeast(NodeKeys.MIN_INTERVAL, "must be at least " + NodeKeys.MIN_INTERVAL.toMillis() + "ms"),
      required("a duration such as 30s, 500ms or 5m"), "`30000ms`", "the same value every node has as "
          + "`keysyn.interval`");
  /** Absent: false. Written by {@code sscmic init --allow-short-interval} and the demo. */
  public static final ConfigKey<Boolean> MESH_ALLOW_SHORT_INTERVAL = key("mesh.allow-short-interval", ValueParsers.bool(),
      none("`false`"), "`true`", "the interval is under 20 s on purpose (a test or demo mesh): the authority "
      + "then says so at INFO instead of warning about its catch-up cost after a long outage");
  public static final ConfigKey<SocketAddress> LISTEN = key("authority.listen", ValueParsers.addressAsWritten(),
      required("host:port for the nodes to reach, e.g. 0.0.0.0:8443"), "`0.0.0.0:8443`",
      "`host:port` the nodes connect to");
  public static final ConfigKey<Duration> CERTIFICATE_VALIDITY = key("authority.certificate-validity",
      between(AuthorityConfig.MIN_VALIDITY, AuthorityConfig.MAX_VALIDITY), value("24h"), "`6h`",
      "lifetime of node certificates (5m to 30d); nodes renew at two thirds");
  /** Absent: false. */
  public static final ConfigKey<Boolean> RECOVERY_METHOD1 = key("authority.recovery-method1", (k, raw) -> {
    if (!(raw instanceof Boolean)) {
      throw new ConfigException(k, "expected true or false");
    }
    return (Boolean) raw;
  }, none("`false`"), "`false`", "also answer `GET /v1/epoch` for nodes that hold the seed");
  /** Checked against the certificate validity in {@link AuthorityConfig#security}. */
  public static final ConfigKey<Duration> MAX_RENEWAL_AGE = key("authority.max-renewal-age",
      ValueParsers.duration(), value("30d"), "`14d`",
      "how long after its enrollment a node may keep renewing its certificate (at least `certificate-validity`, "
          + "at most 365d); no certificate outlives enrollment + this, and a node then needs a new token (see "
          + "\"Renewal bound\")");
  public static final ConfigKey<Duration> ANCHOR_ADVANCE = key("authority.anchor-advance",
      (k, raw) -> {
        Duration d = ValueParsers.duration().parse(k, raw);
        if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(30)) > 0) {
          throw new ConfigException(k, "must be between 1m and 30d, got " + d);
        }
        return d;
      }, value("24h"), "`6h`",
      "how often the authority moves its stored key anchor to the current epoch and erases the one it replaces "
          + "(1m to 30d): the authority's disk never holds a key older than this");
  public static final ConfigKey<Optional<SocketAddress>> ADMIN_LISTEN = key("admin.listen",
      (k, raw) -> "none".equalsIgnoreCase(String.valueOf(raw)) ? Optional.empty()
          : Optional.of(ValueParsers.addressAsWritten().parse(k, raw)),
      value("127.0.0.1:15100"), "`0.0.0.0:15100`",
      "the authority's admin port; `none` disables it");
  public static final ConfigKey<String> ADMIN_PASSWORD_HASH = key("admin.password-hash",
      ValueParsers.passwordHash(), none("generated"), "`\"pbkdf2-sha256$600000$...$...\"`",
      "the authority dashboard's password, as for a node (generated: `admin-password` beside `authority.yaml`, 0600)");
  public static final ConfigKey<String> ADMIN_TLS_CERT_FILE = key("admin.tls.cert-file", ValueParsers.text(),
      none("none"), "`/etc/sscmic-authority/admin.crt`",
      "TLS on the authority's admin port, as for a node: the certificate (chain), PEM; both or neither");
  public static final ConfigKey<String> ADMIN_TLS_KEY_FILE = key("admin.tls.key-file", ValueParsers.text(),
      none("none"), "`/etc/sscmic-authority/admin.key`", "its private key, PEM");

  public static final ConfigKey<Duration> REGISTRY_TTL = key("registry.ttl",
      ValueParsers.durationAtLeast(Duration.ofMillis(200), "must be at least 200ms"), value("30s"), "`30s`",
      "service registry: an entry lapses this long after its node's last renewal, so a node that died leaves "
          + "every caller's view within it (see \"Service discovery\")");
  public static final ConfigKey<Duration> REGISTRY_RENEW = key("registry.renew",
      ValueParsers.durationAtLeast(Duration.ofMillis(50), "must be at least 50ms"), value("10s"), "`10s`",
      "how often nodes renew their registry entry (the authority tells them); shorter than `registry.ttl`, and "
          + "watch streams get a ping this often (at most every 5 s)");
  public static final ConfigKey<List<String>> REGISTRY_OWNERS = key("registry.owners.NAME", (k, raw) -> {
    List<Object> items = raw instanceof io.vertx.core.json.JsonArray a ? a.getList() : List.of(raw);
    List<String> nodes = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof String s) || !ValueParsers.NAME.matcher(s).matches()) {
        throw new ConfigException(k, "expected a node id or a list of node ids");
      }
      nodes.add(s);
    }
    return nodes;
  }, none("open"), "`billing: [billing-1, billing-2]`",
      "the only nodes that may register service NAME; a service not listed here may be registered by any enrolled "
          + "node");

  // ---- issue 17 item 4: authority replicas sharing their state in etcd ----

  public static final ConfigKey<List<String>> ETCD_ENDPOINTS = key("etcd.endpoints", (k, raw) -> {
    List<Object> items = raw instanceof io.vertx.core.json.JsonArray a ? a.getList()
        : List.of((Object[]) String.valueOf(raw).split(","));
    List<String> urls = new ArrayList<>();
    for (Object o : items) {
      String u = String.valueOf(o).trim();
      if (!u.matches("https?://[^/\\s,]+:[0-9]{1,5}")) {
        throw new ConfigException(k, "expected etcd client URLs http(s)://host:port, comma-separated or a list, got '"
            + o + "'");
      }
      urls.add(u);
    }
    return List.copyOf(urls);
  }, none("none: one authority on local files"), "`http://10.0.0.5:2379,http://10.0.0.6:2379,http://10.0.0.7:2379`",
      "etcd client URLs: the authority runs as one of several replicas that share spent tokens, certificate serials, "
          + "revocations and the CA key in this etcd cluster (see \"Authority high availability\")");
  public static final ConfigKey<String> ETCD_PREFIX = key("etcd.prefix", (k, raw) -> {
    String p = String.valueOf(raw).trim();
    if (!p.matches("/[A-Za-z0-9._/-]*")) {
      throw new ConfigException(k, "expected a key prefix such as /sscmic/mesh-a/, got '" + raw + "'");
    }
    return p.endsWith("/") ? p : p + "/";
  }, value("/sscmic/"), "`/sscmic/mesh-a/`",
      "the key prefix of this mesh in etcd: every replica of one authority uses the same, two meshes never do");
  public static final ConfigKey<java.nio.file.Path> ETCD_KEK_FILE = key("etcd.kek-file", ValueParsers.path(),
      none("required with endpoints"), "`/etc/sscmic-authority/kek`",
      "the key-encryption key (32 bytes, base64 or hex, 0600) that seals the CA key stored in etcd; the same file on "
          + "every replica, never in etcd. A replica without it refuses to start");

  public static final ConfigKey<Duration> ETCD_RESEED_EVERY = key("etcd.reseed-every",
      (k, raw) -> {
        Duration d = ValueParsers.duration().parse(k, raw);
        if (d.compareTo(Duration.ofMinutes(10)) < 0) {
          throw new ConfigException(k, "must be at least 10m, got " + d);
        }
        return d;
      }, none("none: re-seeds only by hand"), "`30d`",
      "a scheduled re-seed: one replica at a time (the leader, by etcd election) schedules a new key chain this long "
          + "after the last one took effect, 2 minutes ahead; every replica announces it. Needs `etcd.endpoints`");

  private static <T> ConfigKey<T> key(String name, ValueParser<T> parser, ConfigKey.Default dflt, String example,
                                      String description) {
    ConfigKey<T> key = new ConfigKey<>(name, parser, dflt, FILE_ONLY, RESTART, null, example, description);
    TABLE.add(key);
    return key;
  }

  private static ValueParser<Duration> between(Duration min, Duration max) {
    ValueParser<Duration> duration = ValueParsers.duration();
    return (k, raw) -> {
      Duration d = duration.parse(k, raw);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new ConfigException(k, "must be between 5m and 30d (nodes renew at two thirds of it), got " + d);
      }
      return d;
    };
  }
}
