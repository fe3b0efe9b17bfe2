package io.sscmic.gateway.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Loads a node's config with Vert.x Config: the YAML file, then environment overrides for the
 * scalar keys ({@code SSCMIC_} + the key upper-cased with '.' and '-' as '_', e.g.
 * {@code SSCMIC_KEYSYN_INTERVAL=10s}, {@code SSCMIC_TUNNEL_LISTEN=0.0.0.0:7443}).
 */
public final class ConfigLoader {
  /** Keys that an environment variable may override. */
  public static final List<String> OVERRIDABLE = List.of(
      "node.id", "keysyn.genesis", "keysyn.interval", "keysyn.seed-file", "keysyn.seed-env",
      "tunnel.listen", "tunnel.cipher", "tunnel.provider", "tunnel.connect-timeout", "tunnel.handshake-timeout",
      "tunnel.max-connections", "tunnel.handshake-rate", "tunnel.idle-timeout", "tunnel.max-connections-per-peer",
      "tunnel.max-handshakes-per-source",
      "admin.listen", "authority.url", "authority.ca-file", "authority.state-dir", "authority.token-file",
      "authority.token-env", "authority.recovery", "authority.refresh", "http.listen", "http.timeout",
      "http.access-log");

  private ConfigLoader() {
  }

  public static String envName(String key) {
    return "SSCMIC_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Reads, merges and validates; fails with a {@link ConfigException} naming the bad key. */
  public static Future<NodeConfig> load(Vertx vertx, Path file) {
    return read(vertx, file, true).map(ConfigLoader::applyEnvironment).map(NodeConfigParser::parse);
  }

  /** The YAML file as a JSON tree, with the process environment merged in when {@code withEnv}. */
  public static Future<JsonObject> read(Vertx vertx, Path file, boolean withEnv) {
    if (!Files.isReadable(file)) {
      return Future.failedFuture(new ConfigException("--config", "cannot read " + file.toAbsolutePath()));
    }
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .setIncludeDefaultStores(false)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("yaml")
            .setConfig(new JsonObject().put("path", file.toString())));
    if (withEnv) {
      options.addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(retriever::close)
        .recover(e -> Future.failedFuture(new ConfigException("--config", file + ": " + e.getMessage())));
  }

  /** Moves SSCMIC_* variables from the flat env store onto their keys; drops every other variable. */
  static JsonObject applyEnvironment(JsonObject merged) {
    JsonObject tree = new JsonObject();
    for (String top : List.of("node", "keysyn", "tunnel", "services", "outbound", "admin", "authority", "http")) {
      if (merged.containsKey(top)) {
        tree.put(top, merged.getValue(top));
      }
    }
    for (String key : OVERRIDABLE) {
      String value = merged.getString(envName(key));
      if (value != null) {
        String[] parts = key.split("\\.");
        JsonObject section = tree.getJsonObject(parts[0]);
        if (section == null) {
          section = new JsonObject();
          tree.put(parts[0], section);
        }
        section.put(parts[1], value);
      }
    }
    return tree;
  }
}
