package io.sscmic.gateway.authority;

import io.sscmic.authority.AuthorityFiles;
import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.config.NodeConfigParser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The authority's settings ({@code authority.yaml}, written by {@code sscmic init}). Its secrets
 * sit beside the file under the fixed names of {@link AuthorityFiles}.
 *
 * @param dir the directory that holds the config file and the secrets
 * @param adminPasswordHash the dashboard password ({@code admin.password-hash}), or null to generate one
 * @param adminTls the admin port's certificate and key ({@code admin.tls}), or null for plain HTTP
 * @param security the renewal bound and the anchor schedule ({@code authority.max-renewal-age},
 *     {@code authority.anchor-advance})
 */
public record AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                              Duration certificateValidity, boolean method1, SocketAddress adminListen,
                              String adminPasswordHash, io.sscmic.admin.AdminTls adminTls, Security security) {
  public static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);
  public static final Duration MIN_VALIDITY = Duration.ofMinutes(5);
  public static final Duration MAX_VALIDITY = Duration.ofDays(30);

  // ---- issue 14: the renewal bound and the advancing anchor (kept apart from the settings above) ----

  /**
   * @param maxRenewalAge how long after enrolling a node may keep renewing; then it needs a new
   *     token ({@code authority.max-renewal-age}, default 30d, at least the certificate validity)
   * @param anchorAdvance how often the authority moves its stored anchor (N, K(N)) forward and
   *     erases the one it replaces ({@code authority.anchor-advance}, default 24h, 1m to 30d)
   */
  public record Security(Duration maxRenewalAge, Duration anchorAdvance) {
    public static final Duration DEFAULT_MAX_RENEWAL_AGE = Duration.ofDays(30);
    public static final Duration DEFAULT_ANCHOR_ADVANCE = Duration.ofHours(24);
    public static final Security DEFAULTS = new Security(DEFAULT_MAX_RENEWAL_AGE, DEFAULT_ANCHOR_ADVANCE);
  }

  static Security security(JsonObject a, Duration validity) {
    Duration maxAge = NodeConfigParser.duration(a.getValue("max-renewal-age"), "authority.max-renewal-age",
        Security.DEFAULT_MAX_RENEWAL_AGE);
    if (maxAge.compareTo(validity) < 0 || maxAge.compareTo(Duration.ofDays(365)) > 0) {
      throw new ConfigException("authority.max-renewal-age", "must be between authority.certificate-validity ("
          + validity + ") and 365d (after it a node needs a new enrollment token), got " + maxAge);
    }
    Duration advance = NodeConfigParser.duration(a.getValue("anchor-advance"), "authority.anchor-advance",
        Security.DEFAULT_ANCHOR_ADVANCE);
    if (advance.compareTo(Duration.ofMinutes(1)) < 0 || advance.compareTo(Duration.ofDays(30)) > 0) {
      throw new ConfigException("authority.anchor-advance", "must be between 1m and 30d, got " + advance);
    }
    return new Security(maxAge, advance);
  }

  /** Before issue 14's settings: the defaults for them. */
  public AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                         Duration certificateValidity, boolean method1, SocketAddress adminListen,
                         String adminPasswordHash, io.sscmic.admin.AdminTls adminTls) {
    this(dir, genesis, interval, listen, certificateValidity, method1, adminListen, adminPasswordHash, adminTls,
        Security.DEFAULTS);
  }

  public AuthorityConfig withSecurity(Security s) {
    return new AuthorityConfig(dir, genesis, interval, listen, certificateValidity, method1, adminListen,
        adminPasswordHash, adminTls, s);
  }

  // ---- end of issue 14's settings ----

  /** An authority whose admin port speaks plain HTTP. */
  public AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                         Duration certificateValidity, boolean method1, SocketAddress adminListen,
                         String adminPasswordHash) {
    this(dir, genesis, interval, listen, certificateValidity, method1, adminListen, adminPasswordHash, null);
  }

  public AuthorityConfig withAdminPassword(String hash) {
    return new AuthorityConfig(dir, genesis, interval, listen, certificateValidity, method1, adminListen, hash,
        adminTls, security);
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  public AuthorityFiles files() {
    return new AuthorityFiles(dir);
  }

  public static Future<AuthorityConfig> load(Vertx vertx, Path file) {
    Path dir = file.toAbsolutePath().getParent();
    return ConfigLoader.read(vertx, file, false).map(root -> parse(root, dir));
  }

  static AuthorityConfig parse(JsonObject root, Path dir) {
    for (String key : root.fieldNames()) {
      if (!Set.of("mesh", "authority", "admin").contains(key)) {
        throw new ConfigException(key, "unknown key; expected mesh, authority or admin");
      }
    }
    JsonObject mesh = NodeConfigParser.section(root, "mesh", Set.of("genesis", "interval"));
    JsonObject a = NodeConfigParser.section(root, "authority", Set.of("listen", "certificate-validity", "recovery-method1",
        "max-renewal-age", "anchor-advance"));
    JsonObject admin = NodeConfigParser.section(root, "admin", Set.of("listen", "password-hash", "tls"));
    Instant genesis = NodeConfigParser.instant(mesh.getValue("genesis"), "mesh.genesis");
    Duration interval = NodeConfigParser.duration(mesh.getValue("interval"), "mesh.interval", null);
    if (interval.compareTo(NodeConfigParser.MIN_INTERVAL) < 0) {
      throw new ConfigException("mesh.interval", "must be at least " + NodeConfigParser.MIN_INTERVAL.toMillis() + "ms");
    }
    Object listen = a.getValue("listen");
    if (listen == null) {
      throw new ConfigException("authority.listen", "required: host:port for the nodes to reach, e.g. 0.0.0.0:8443");
    }
    Duration validity = NodeConfigParser.duration(a.getValue("certificate-validity"),
        "authority.certificate-validity", DEFAULT_VALIDITY);
    if (validity.compareTo(MIN_VALIDITY) < 0 || validity.compareTo(MAX_VALIDITY) > 0) {
      throw new ConfigException("authority.certificate-validity", "must be between 5m and 30d (nodes renew at "
          + "two thirds of it), got " + validity);
    }
    Object method1 = a.getValue("recovery-method1", false);
    if (!(method1 instanceof Boolean)) {
      throw new ConfigException("authority.recovery-method1", "expected true or false");
    }
    Object adminListen = admin.getValue("listen");
    SocketAddress adminAddress = adminListen == null ? SocketAddress.inetSocketAddress(15100, "127.0.0.1")
        : "none".equalsIgnoreCase(String.valueOf(adminListen)) ? null
        : NodeConfigParser.address(String.valueOf(adminListen), "admin.listen");
    return new AuthorityConfig(dir, genesis, interval, NodeConfigParser.address(String.valueOf(listen),
        "authority.listen"), validity, (Boolean) method1, adminAddress, NodeConfigParser.adminPasswordHash(admin),
        NodeConfigParser.adminTls(admin), security(a, validity));
  }
}
