package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeConfigParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reload diff reads the key table: what a refused reload names, and what it lets through. */
class ConfigChangesTest {
  private static JsonObject base() {
    return new JsonObject()
        .put("node", new JsonObject().put("id", "orders-1"))
        .put("keysyn", new JsonObject().put("genesis", "2026-01-01T00:00:00Z").put("interval", "30s"))
        .put("authority", new JsonObject().put("url", "https://10.0.0.5:8443").put("ca-file", "/etc/sscmic/ca.crt")
            .put("state-dir", "/var/lib/sscmic").put("token-file", "/etc/sscmic/token"))
        .put("tunnel", new JsonObject().put("listen", "0.0.0.0:7443"))
        .put("services", new JsonObject().put("orders", "127.0.0.1:8080"))
        .put("http", new JsonObject().put("listen", "127.0.0.1:7080")
            .put("services", new JsonObject().put("billing", new JsonArray().add("10.0.0.7:7443")))
            .put("routes", new JsonArray().add(new JsonObject().put("path-prefix", "/b/").put("service", "billing"))));
  }

  private static List<String> fixed(JsonObject next) {
    NodeConfig running = NodeConfigParser.parse(base());
    return ConfigChanges.fixedKeysChanged(running, NodeConfigParser.parse(next));
  }

  @Test
  void theSameFileChangesNothing() {
    assertEquals(List.of(), fixed(base()));
  }

  @Test
  void keysAppliedAtRuntimeOrUsedOnlyAtStartAreNotRefused() {
    JsonObject next = base();
    next.getJsonObject("tunnel").put("cipher", "chacha20-poly1305").put("idle-timeout", "15m")
        .put("max-connections-per-peer", "10");
    next.getJsonObject("services").put("web", "127.0.0.1:8081");
    next.put("outbound", new JsonArray().add(new JsonObject().put("listen", "127.0.0.1:9001").put("service", "x")
        .put("peer", "10.0.0.8:7443")));
    next.getJsonObject("authority").put("token-file", "/elsewhere/token");
    assertEquals(List.of(), fixed(next));
  }

  @Test
  void eachFixedKeyIsNamedInTableOrderAndAListOnce() {
    JsonObject next = base();
    next.getJsonObject("node").put("id", "orders-2");
    next.getJsonObject("authority").put("refresh", "1m");
    next.getJsonObject("tunnel").put("listen", "0.0.0.0:7444");
    next.put("admin", new JsonObject().put("listen", "127.0.0.1:15001"));
    next.getJsonObject("http").put("timeout", "5s").getJsonArray("routes").getJsonObject(0)
        .put("path-prefix", "/c/").put("timeout", "2s");
    assertEquals(List.of("node.id", "authority.refresh", "tunnel.listen", "admin.listen", "http.routes",
        "http.timeout"), fixed(next));
  }

  @Test
  void aSeedMovedFromAFileToAVariableNamesBothKeys() {
    JsonObject running = base();
    running.remove("authority");
    running.getJsonObject("keysyn").put("seed-file", "/etc/sscmic/seed");
    JsonObject next = running.copy();
    next.getJsonObject("keysyn").remove("seed-file");
    next.getJsonObject("keysyn").put("seed-env", "SSCMIC_SEED");
    assertEquals(List.of("keysyn.seed-file", "keysyn.seed-env"),
        ConfigChanges.fixedKeysChanged(NodeConfigParser.parse(running), NodeConfigParser.parse(next)));
  }
}
