package io.sscmic.gateway.authority;

import io.sscmic.authority.AuthorityFiles;
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
 */
public record AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                              Duration certificateValidity, boolean method1, SocketAddress adminListen,
                              String adminPasswordHash, io.sscmic.admin.AdminTls adminTls) {
  public static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);
  public static final Duration MIN_VALIDITY = Duration.ofMinutes(5);
  public static final Duration MAX_VALIDITY = Duration.ofDays(30);

  /** An authority whose admin port speaks plain HTTP. */
  public AuthorityConfig(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                         Duration certificateValidity, boolean method1, SocketAddress adminListen,
                         String adminPasswordHash) {
    this(dir, genesis, interval, listen, certificateValidity, method1, adminListen, adminPasswordHash, null);
  }

  public AuthorityConfig withAdminPassword(String hash) {
    return new AuthorityConfig(dir, genesis, interval, listen, certificateValidity, method1, adminListen, hash,
        adminTls);
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
        throw new ConfigException(key, "unknown key; expected mesh, authority or admin");
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
    return new AuthorityConfig(dir, genesis, interval, listen, validity, method1, adminListen, passwordHash, tls);
  }

  private static String required(ConfigTree t, io.sscmic.gateway.config.ConfigKey<String> key) {
    String value = t.get(key);
    if (value == null) {
      throw new ConfigException(key.name(), "required");
    }
    return value;
  }
}
