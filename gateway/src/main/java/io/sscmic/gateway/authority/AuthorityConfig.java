package io.sscmic.gateway.authority;

import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.config.ConfigTree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

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
                              String adminPasswordHash, io.sscmic.admin.AdminTls adminTls, Security security,
                              RegistrySettings registry, Etcd etcd) {
  public static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);
  public static final Duration MIN_VALIDITY = Duration.ofMinutes(5);
  public static final Duration MAX_VALIDITY = Duration.ofDays(30);

  /**
   * The etcd cluster the authority replicas share (issue 17 item 4), or null for one authority on
   * its local files (the default).
   *
   * @param kekFile the key-encryption key of the CA key's envelope in etcd
   * @param reseedEvery the scheduled re-seed's period, or null for none
   */
  public record Etcd(java.util.List<String> endpoints, String prefix, Path kekFile, Duration reseedEvery) {
  }

  /** Before issue 17 item 4: one authority on its files. */
  public AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                         Duration certificateValidity, boolean method1, SocketAddress adminListen,
                         String adminPasswordHash, io.sscmic.admin.AdminTls adminTls, Security security,
                         RegistrySettings registry) {
    this(dir, genesis, interval, listen, certificateValidity, method1, adminListen, adminPasswordHash, adminTls,
        security, registry, null);
  }

  public AuthorityConfig withEtcd(Etcd e) {
    return new AuthorityConfig(dir, genesis, interval, listen, certificateValidity, method1, adminListen,
        adminPasswordHash, adminTls, security, registry, e);
  }

  static Etcd etcd(ConfigTree t, Path dir) {
    java.util.List<String> endpoints = t.get(AuthorityKeys.ETCD_ENDPOINTS);
    if (endpoints == null || endpoints.isEmpty()) {
      if (t.raw(AuthorityKeys.ETCD_KEK_FILE.name()) != null) {
        throw new ConfigException("etcd.kek-file", "only with etcd.endpoints (one authority keeps ca.key on its disk)");
      }
      if (t.raw(AuthorityKeys.ETCD_RESEED_EVERY.name()) != null) {
        throw new ConfigException("etcd.reseed-every", "only with etcd.endpoints (one authority re-seeds by hand: "
            + "sscmic reseed)");
      }
      return null;
    }
    Path kek = t.get(AuthorityKeys.ETCD_KEK_FILE);
    if (kek == null) {
      throw new ConfigException("etcd.kek-file", "required with etcd.endpoints: the CA key is kept in etcd encrypted "
          + "under this key (32 bytes: head -c 32 /dev/urandom | base64 > kek; chmod 600 kek), the same file on "
          + "every replica");
    }
    return new Etcd(endpoints, t.get(AuthorityKeys.ETCD_PREFIX), dir.resolve(kek),
        t.get(AuthorityKeys.ETCD_RESEED_EVERY));
  }

  // ---- issue 14: the renewal bound and the advancing anchor (kept apart from the settings above) ----

  /**
   * @param maxRenewalAge how long after enrolling a node may keep renewing; then it needs a new
   *     token ({@code authority.max-renewal-age}, default 30d, at least the certificate validity)
   * @param anchorAdvance how often the authority moves its stored anchor (N, K(N)) forward and
   *     erases the one it replaces ({@code authority.anchor-advance}, default 24h, 1m to 30d)
   * @param shortIntervalOnPurpose {@code mesh.allow-short-interval}: an interval under 20 s was
   *     chosen (a test or demo mesh), so its catch-up cost is reported at INFO, not as a warning
   */
  public record Security(Duration maxRenewalAge, Duration anchorAdvance, boolean shortIntervalOnPurpose) {
    public static final Duration DEFAULT_MAX_RENEWAL_AGE = Duration.ofDays(30);
    public static final Duration DEFAULT_ANCHOR_ADVANCE = Duration.ofHours(24);
    public static final Security DEFAULTS = new Security(DEFAULT_MAX_RENEWAL_AGE, DEFAULT_ANCHOR_ADVANCE, false);
  }

  static Security security(ConfigTree t, Duration validity) {
    Duration maxAge = t.get(AuthorityKeys.MAX_RENEWAL_AGE);
    if (maxAge.compareTo(validity) < 0 || maxAge.compareTo(Duration.ofDays(365)) > 0) {
      throw new ConfigException("authority.max-renewal-age", "must be between authority.certificate-validity ("
          + validity + ") and 365d (after it a node needs a new enrollment token), got " + maxAge);
    }
    return new Security(maxAge, t.get(AuthorityKeys.ANCHOR_ADVANCE),
        Boolean.TRUE.equals(t.get(AuthorityKeys.MESH_ALLOW_SHORT_INTERVAL)));
  }

  /** Before issue 17's registry settings: the defaults for them. */
  public AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                         Duration certificateValidity, boolean method1, SocketAddress adminListen,
                         String adminPasswordHash, io.sscmic.admin.AdminTls adminTls, Security security) {
    this(dir, genesis, interval, listen, certificateValidity, method1, adminListen, adminPasswordHash, adminTls,
        security, RegistrySettings.DEFAULTS);
  }

  public AuthorityConfig withRegistry(RegistrySettings r) {
    return new AuthorityConfig(dir, genesis, interval, listen, certificateValidity, method1, adminListen,
        adminPasswordHash, adminTls, security, r, etcd);
  }

  static RegistrySettings registry(ConfigTree t) {
    Duration ttl = t.get(AuthorityKeys.REGISTRY_TTL);
    Duration renew = t.get(AuthorityKeys.REGISTRY_RENEW);
    if (renew.compareTo(ttl) >= 0) {
      throw new ConfigException("registry.renew", "must be shorter than registry.ttl (" + ttl + "), got " + renew);
    }
    java.util.Map<String, java.util.Set<String>> owners = new java.util.LinkedHashMap<>();
    Object raw = t.raw("registry.owners");
    if (raw != null && !(raw instanceof JsonObject)) {
      throw new ConfigException("registry.owners", "expected a map of service name to node ids");
    }
    if (raw != null) {
      for (String service : ((JsonObject) raw).fieldNames()) {
        String key = "registry.owners." + service;
        if (!io.sscmic.gateway.config.ValueParsers.NAME.matcher(service).matches()) {
          throw new ConfigException(key, "service names use letters, digits, '.', '_' or '-'");
        }
        owners.put(service, java.util.Set.copyOf(AuthorityKeys.REGISTRY_OWNERS.parser().parse(key,
            ((JsonObject) raw).getValue(service))));
      }
    }
    return new RegistrySettings(ttl, renew, owners);
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
        adminPasswordHash, adminTls, s, registry, etcd);
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
        adminTls, security, registry, etcd);
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
      if (!ConfigTree.topLevel(AuthorityKeys.ALL).contains(key)) {
        throw new ConfigException(key, "unknown key; expected mesh, authority, admin, registry or etcd");
      }
    }
    ConfigTree t = ConfigTree.of(root, AuthorityKeys.ALL);
    Instant genesis = t.get(AuthorityKeys.MESH_GENESIS);
    Duration interval = t.get(AuthorityKeys.MESH_INTERVAL);
    if (t.raw(AuthorityKeys.LISTEN.name()) == null) {
      t.get(AuthorityKeys.LISTEN); // required: fails here, before the keys below, as it always did
    }
    Duration validity = t.get(AuthorityKeys.CERTIFICATE_VALIDITY);
    boolean method1 = Boolean.TRUE.equals(t.get(AuthorityKeys.RECOVERY_METHOD1));
    SocketAddress adminListen = t.get(AuthorityKeys.ADMIN_LISTEN).orElse(null);
    SocketAddress listen = t.get(AuthorityKeys.LISTEN);
    String passwordHash = t.get(AuthorityKeys.ADMIN_PASSWORD_HASH);
    io.sscmic.admin.AdminTls tls = null;
    if (t.has("admin.tls")) {
      tls = new io.sscmic.admin.AdminTls(required(t, AuthorityKeys.ADMIN_TLS_CERT_FILE),
          required(t, AuthorityKeys.ADMIN_TLS_KEY_FILE));
    }
    return new AuthorityConfig(dir, genesis, interval, listen, validity, method1, adminListen, passwordHash, tls,
        security(t, validity), registry(t), etcd(t, dir));
  }

  private static String required(ConfigTree t, io.sscmic.gateway.config.ConfigKey<String> key) {
    String value = t.get(key);
    if (value == null) {
      throw new ConfigException(key.name(), "required");
    }
    return value;
  }
}
