package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeConfigParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The node config's intercept section: defaults, the static destination map, errors by key. */
class InterceptConfigTest {
  static JsonObject node(JsonObject intercept) {
    return new JsonObject()
        .put("node", new JsonObject().put("id", "app-1"))
        .put("keysyn", new JsonObject().put("genesis", "2026-01-01T00:00:00Z").put("interval", "30s")
            .put("seed-file", "/etc/sscmic/seed"))
        .put("intercept", intercept);
  }

  static JsonObject route(String match, String service, String peer) {
    return new JsonObject().put("match", match).put("service", service).put("peer", peer);
  }

  private static String error(JsonObject intercept) {
    return assertThrows(ConfigException.class, () -> NodeConfigParser.parse(node(intercept))).getMessage();
  }

  @Test
  void aNodeMayDoNothingButInterceptAndGetsTheDefaults() throws Exception {
    NodeConfig c = NodeConfigParser.parse(node(new JsonObject().put("outbound", new JsonArray()
        .add(route("10.1.0.5:6379", "redis", "10.1.0.5:7443"))
        .add(route("10.2.0.0/16:8000-8999", "web", "10.2.0.9:7443")))));
    InterceptConfig i = c.intercept();
    assertEquals("127.0.0.1", i.listen().host());
    assertEquals(15001, i.listen().port());
    assertFalse(i.manageRules());
    assertEquals(0x5353, i.mark());
    assertEquals(153, i.routeTable());
    assertNull(i.excludeUid());
    assertEquals(Duration.ofMillis(300), i.detectTimeout());
    assertEquals(Set.of(21, 22, 25, 110, 143, 587, 3306), i.serverFirstPorts());
    assertEquals("redis", i.route(InetAddress.getByName("10.1.0.5"), 6379).orElseThrow().service());
    assertEquals("web", i.route(InetAddress.getByName("10.2.3.4"), 8443).orElseThrow().service());
    assertTrue(i.route(InetAddress.getByName("10.2.3.4"), 9000).isEmpty());
    assertEquals(2, i.ownDestinations().size(), "both peers are the sidecar's own destinations");
  }

  @Test
  void destinationsFromTheRegistryAloneAreEnoughAndEachEntryNamesAServiceAndAPort() {
    NodeConfig c = NodeConfigParser.parse(node(new JsonObject().put("registry", new JsonArray()
        .add(new JsonObject().put("service", "redis").put("port", 6379)))));
    assertEquals(java.util.List.of(new InterceptConfig.RegistryCapture("redis", 6379)), c.intercept().registry());
    assertTrue(c.intercept().capturesOutbound(), "the listener and policy routing are needed");
    assertTrue(error(new JsonObject().put("registry", new JsonArray().add(new JsonObject().put("service", "redis"))))
        .contains("intercept.registry[0].port"));
    assertTrue(error(new JsonObject().put("registry", new JsonArray()
        .add(new JsonObject().put("service", "redis").put("port", 70000)))).contains("intercept.registry[0].port"));
  }

  @Test
  void everyKeyIsRead() {
    NodeConfig c = NodeConfigParser.parse(node(new JsonObject().put("listen", "127.0.0.1:15999")
        .put("manage-rules", true).put("mark", "0x77").put("route-table", 200).put("exclude-uid", 1337)
        .put("detect-timeout", "1s").put("server-first-ports", new JsonArray().add(3306).add(2525))
        .put("outbound", new JsonArray().add(route("10.1.0.5:3306", "db", "10.1.0.5:7443")))));
    InterceptConfig i = c.intercept();
    assertEquals(15999, i.listen().port());
    assertTrue(i.manageRules());
    assertEquals(0x77, i.mark());
    assertEquals(200, i.routeTable());
    assertEquals(1337, i.excludeUid());
    assertEquals(Duration.ofSeconds(1), i.detectTimeout());
    assertEquals(Set.of(3306, 2525), i.serverFirstPorts());
    assertTrue(i.serverFirst(3306));
  }

  @Test
  void anAuthorityIsNeverCaptured() {
    JsonObject n = node(new JsonObject().put("outbound", new JsonArray()
        .add(route("10.0.0.0/8", "legacy", "10.1.0.5:7443"))));
    n.getJsonObject("keysyn").remove("seed-file");
    n.put("authority", new JsonObject().put("url", "https://10.0.0.2:8443").put("ca-file", "/etc/sscmic/ca.crt")
        .put("state-dir", "/var/lib/sscmic"));
    InterceptConfig i = NodeConfigParser.parse(n).intercept();
    assertTrue(i.ownDestinations().stream().anyMatch(a -> a.port() == 8443 && "10.0.0.2".equals(a.host())),
        i.ownDestinations().toString());
    assertTrue(InterceptRules.nftScript(i).contains("ip daddr 10.0.0.2 tcp dport 8443 return"));
  }

  @Test
  void inboundCaptureAloneIsANodesJobButNeverOnTheTunnelPort() {
    JsonObject n = node(new JsonObject().put("inbound-ports", new JsonArray().add(6379).add(5432)))
        .put("tunnel", new JsonObject().put("listen", "0.0.0.0:7443"))
        .put("services", new JsonObject().put("redis", "127.0.0.1:6379"));
    InterceptConfig i = NodeConfigParser.parse(n).intercept();
    assertEquals(Set.of(6379, 5432), i.inboundPorts());
    assertFalse(i.capturesOutbound());
    n.getJsonObject("intercept").put("inbound-ports", new JsonArray().add(7443));
    String e = assertThrows(ConfigException.class, () -> NodeConfigParser.parse(n)).getMessage();
    assertTrue(e.contains("intercept.inbound-ports") && e.contains("tunnel port 7443"), e);
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(error(new JsonObject()).contains("intercept.outbound"), "no destinations");
    assertTrue(error(new JsonObject().put("outbound", new JsonArray().add(route("redis:6379", "redis",
        "10.1.0.5:7443")))).contains("intercept.outbound[0].match"));
    assertTrue(error(new JsonObject().put("outbound", new JsonArray().add(new JsonObject().put("match",
        "10.1.0.5:6379").put("peer", "10.1.0.5:7443")))).contains("intercept.outbound[0].service"));
    assertTrue(error(new JsonObject().put("outbound", new JsonArray().add(route("10.1.0.5:6379", "redis",
        "10.1.0.5:7443").put("port", 1)))).contains("intercept.outbound[0].port"));
    JsonObject ok = new JsonObject().put("outbound", new JsonArray().add(route("10.1.0.5:6379", "r", "10.1.0.5:7443")));
    assertTrue(error(ok.copy().put("mark", "blue")).contains("intercept.mark"));
    assertTrue(error(ok.copy().put("route-table", 300)).contains("intercept.route-table"));
    assertTrue(error(ok.copy().put("server-first-ports", new JsonArray().add(70000)))
        .contains("intercept.server-first-ports"));
    assertTrue(error(ok.copy().put("listen", "localhost:15001")).contains("intercept.listen"));
    assertTrue(error(ok.copy().put("listne", "127.0.0.1:1")).contains("intercept.listne"), "typos are refused");
  }
}
