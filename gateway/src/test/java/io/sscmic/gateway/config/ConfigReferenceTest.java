package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityKeys;
import io.sscmic.gateway.http.ListenerLimits;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The configuration reference in docs/OPERATIONS.md is the key tables ({@link NodeKeys},
 * {@link AuthorityKeys}) rendered: it lists every key and nothing else. With
 * {@code -Dsscmic.config.reference=write} the test rewrites the reference from the tables first
 * (the command is in OPERATIONS.md).
 */
class ConfigReferenceTest {
  private static final Path DOC = Path.of("..", "docs", "OPERATIONS.md");
  private static final String COMMAND = "mvn -B -q -pl gateway -am test -Dtest=ConfigReferenceTest "
      + "-Dsscmic.config.reference=write";

  @Test
  void theReferenceListsEveryKeyOfTheTablesAndNothingElse() throws Exception {
    String doc = Files.readString(DOC);
    if ("write".equals(System.getProperty("sscmic.config.reference"))) {
      doc = ConfigReference.replace(doc, "node-keys", ConfigReference.rows(NodeKeys.ALL, true));
      doc = ConfigReference.replace(doc, "authority-keys", ConfigReference.rows(AuthorityKeys.ALL, false));
      Files.writeString(DOC, doc);
    }
    check(doc, "node-keys", NodeKeys.ALL, true);
    check(doc, "authority-keys", AuthorityKeys.ALL, false);
  }

  private static void check(String doc, String name, List<ConfigKey<?>> table, boolean withReload) {
    List<String> section = ConfigReference.section(doc, name);
    assertEquals(table.stream().map(ConfigKey::name).toList(), ConfigReference.keysListed(section),
        "the keys docs/OPERATIONS.md lists (" + name + ") are not those of the table; regenerate with " + COMMAND);
    List<String> rows = ConfigReference.rows(table, withReload);
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(rows.get(i), section.get(i), "docs/OPERATIONS.md (" + name + ") line " + (i + 1)
          + " of the reference differs from the table; regenerate with " + COMMAND);
    }
    assertEquals(rows.size(), section.size(), name);
  }

  @Test
  void keysAreUniqueAndEveryDefaultParses() {
    Set<String> names = new HashSet<>();
    for (ConfigKey<?> key : NodeKeys.ALL) {
      assertTrue(names.add(key.name()), "twice in the table: " + key.name());
      assertTrue(key.dflt().text() == null || key.defaultValue() != null, key.name());
      assertNotNull(key.current(), key.name() + " has no reader: a reload could not compare it");
      assertTrue(key.description().length() > 10, key.name());
    }
  }

  @Test
  void theEnvironmentOverridesAreThoseOfBefore() {
    assertEquals(List.of("node.id", "keysyn.genesis", "keysyn.interval", "keysyn.seed-file", "keysyn.seed-env",
        "authority.url", "authority.ca-file", "authority.state-dir", "authority.token-file", "authority.token-env",
        "authority.recovery", "authority.refresh", "tunnel.listen", "tunnel.cipher", "tunnel.provider",
        "tunnel.connect-timeout", "tunnel.handshake-timeout", "tunnel.max-connections", "tunnel.handshake-rate",

        "tunnel.max-connections-per-peer", "tunnel.max-handshakes-per-source", "tunnel.idle-timeout",
        "tunnel.version", "tunnel.policy-file", "tunnel.identity-dir", "tunnel.pool-size", "tunnel.pool-idle-timeout",
        "tunnel.max-concurrent-streams", "tunnel.stream-window", "tunnel.event-loops", "admin.listen", "http.listen", "http.timeout",
        "http.access-log", "intercept.listen", "intercept.manage-rules", "intercept.mark", "intercept.route-table",
        "intercept.exclude-uid", "intercept.detect-timeout", "tracing.otlp-endpoint", "tracing.sample-ratio"),
        ConfigLoader.OVERRIDABLE);
    assertEquals("SSCMIC_TUNNEL_MAX_CONNECTIONS_PER_PEER", NodeKeys.TUNNEL_MAX_CONNECTIONS_PER_PEER.envName());
    assertNull(NodeKeys.ADMIN_PASSWORD_HASH.envName(), "a secret's hash comes from the file only");
  }

  @Test
  void theTablesDefaultsAreTheCodesDefaults() {
    JsonObject c = NodeConfigParserTest.valid().put("http", new JsonObject().put("listen", "127.0.0.1:7080")
        .put("services", new JsonObject().put("orders", new JsonArray().add("10.0.0.7:7443"))));
    NodeConfig parsed = NodeConfigParser.parse(c);
    assertEquals(TunnelLimits.DEFAULTS, parsed.tunnel().limits());
    assertEquals(ListenerLimits.DEFAULTS, parsed.http().limits());
    assertEquals(AdminSection.DEFAULT_LISTEN, parsed.admin().listen());
    assertEquals(io.sscmic.keysyn.recovery.AuthorityRecovery.Settings.DEFAULT_REFRESH,
        NodeKeys.AUTHORITY_REFRESH.defaultValue());
    assertEquals(io.sscmic.gateway.http.HttpModeConfig.DEFAULT_TIMEOUT, parsed.http().timeout());
    assertEquals(io.sscmic.gateway.http.HttpModeConfig.DEFAULT_MAX_CONNECTIONS, parsed.http().maxConnectionsPerPeer());
    assertEquals(io.sscmic.gateway.http.HttpModeConfig.DEFAULT_HEALTH_INTERVAL, parsed.http().healthInterval());
    assertEquals(io.sscmic.gateway.authority.AuthorityConfig.DEFAULT_VALIDITY,
        AuthorityKeys.CERTIFICATE_VALIDITY.defaultValue());
  }

  @Test
  void aKeyInANestedSectionIsCheckedAndNamedInFull() {
    JsonObject c = NodeConfigParserTest.valid().put("admin", new JsonObject().put("tls", "yes"));
    assertEquals("config key 'admin.tls': expected a map",
        assertThrows(ConfigException.class, () -> NodeConfigParser.parse(c)).getMessage());
    JsonObject top = NodeConfigParserTest.valid().put("tunel", new JsonObject());
    assertEquals("config key 'tunel': unknown key; expected one of [node, keysyn, authority, tunnel, admin, services, "
        + "outbound, http, resolve, intercept, tracing]", assertThrows(ConfigException.class, () -> NodeConfigParser.parse(top)).getMessage());
  }
}
