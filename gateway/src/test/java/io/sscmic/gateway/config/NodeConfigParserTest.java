package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeConfigParserTest {
  static JsonObject valid() {
    return new JsonObject()
        .put("node", new JsonObject().put("id", "orders-1"))
        .put("keysyn", new JsonObject().put("genesis", "2026-01-01T00:00:00Z").put("interval", "30s")
            .put("seed-file", "/etc/sscmic/seed"))
        .put("tunnel", new JsonObject().put("listen", "0.0.0.0:7443"))
        .put("services", new JsonObject().put("orders", "127.0.0.1:8080"))
        .put("outbound", new JsonArray().add(new JsonObject().put("listen", "127.0.0.1:9001")
            .put("service", "billing").put("peer", "10.0.0.7:7443")));
  }

  private static String error(JsonObject config) {
    return assertThrows(ConfigException.class, () -> NodeConfigParser.parse(config)).getMessage();
  }

  @Test
  void aValidConfigParsesWithDefaults() {
    NodeConfig c = NodeConfigParser.parse(valid());
    assertEquals("orders-1", c.nodeId());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), c.keysyn().genesis());
    assertEquals(Duration.ofSeconds(30), c.keysyn().interval());
    assertEquals(CipherSuite.AES_256_GCM, c.tunnel().cipher());
    assertEquals(AeadProvider.defaultProvider(), c.tunnel().provider());
    assertEquals(7443, c.tunnel().listen().port());
    assertEquals(8080, c.services().get("orders").port());
    assertEquals("billing", c.outbound().get(0).service());
    assertEquals("10.0.0.7", c.outbound().get(0).peer().host());
    assertEquals(TunnelSection.DEFAULT_CONNECT_TIMEOUT, c.tunnel().connectTimeout());
    assertTrue(c.keysyn().seed().describe().contains("/etc/sscmic/seed"));
  }

  @Test
  void adminTlsNeedsBothPemFilesAndNamesTheMissingOne() {
    assertEquals(null, NodeConfigParser.parse(valid()).admin().tls(), "plain HTTP by default");
    NodeConfig c = NodeConfigParser.parse(valid().put("admin", new JsonObject().put("tls",
        new JsonObject().put("cert-file", "/etc/sscmic/admin.crt").put("key-file", "/etc/sscmic/admin.key"))));
    assertEquals(new io.sscmic.admin.AdminTls("/etc/sscmic/admin.crt", "/etc/sscmic/admin.key"), c.admin().tls());
    String e = error(valid().put("admin", new JsonObject().put("tls", new JsonObject().put("cert-file", "/x.crt"))));
    assertTrue(e.contains("admin.tls.key-file"), e);
    e = error(valid().put("admin", new JsonObject().put("tls", new JsonObject().put("cert", "/x.crt"))));
    assertTrue(e.contains("admin.tls.cert"), e);
  }

  @Test
  void theDashboardPasswordHashIsCheckedAtStartAndNamedWhenWrong() {
    assertEquals(null, NodeConfigParser.parse(valid()).admin().passwordHash(), "none: one is generated at start");
    String hash = io.sscmic.admin.ui.PasswordHash.hash("a good long password".toCharArray(),
        new java.security.SecureRandom());
    JsonObject c = valid().put("admin", new JsonObject().put("password-hash", hash));
    assertEquals(hash, NodeConfigParser.parse(c).admin().passwordHash());
    String e = error(valid().put("admin", new JsonObject().put("password-hash", "hunter2")));
    assertTrue(e.contains("admin.password-hash") && e.contains("pbkdf2-sha256$"), e);
  }

  @Test
  void durationsInEveryFormat() {
    assertEquals(Duration.ofMillis(250), NodeConfigParser.duration("250ms", "k", null));
    assertEquals(Duration.ofMinutes(5), NodeConfigParser.duration("5m", "k", null));
    assertEquals(Duration.ofHours(1), NodeConfigParser.duration("1h", "k", null));
    assertEquals(Duration.ofSeconds(30), NodeConfigParser.duration("PT30S", "k", null));
  }

  @Test
  void eachBadValueNamesItsKey() {
    JsonObject c = valid();
    c.getJsonObject("keysyn").put("interval", "soon");
    assertEquals("config key 'keysyn.interval': expected a duration such as 30s, 500ms or 5m, got 'soon'", error(c));

    c = valid();
    c.getJsonObject("keysyn").put("interval", "1ms");
    assertTrue(error(c).startsWith("config key 'keysyn.interval': must be at least"));

    c = valid();
    c.getJsonObject("keysyn").put("genesis", "yesterday");
    assertTrue(error(c).startsWith("config key 'keysyn.genesis'"));

    c = valid();
    c.getJsonObject("tunnel").put("cipher", "rot13");
    assertTrue(error(c).startsWith("config key 'tunnel.cipher': unknown cipher 'rot13'"));

    c = valid();
    c.getJsonObject("tunnel").put("listen", "7443");
    assertEquals("config key 'tunnel.listen': expected host:port, got '7443'", error(c));

    c = valid();
    c.getJsonArray("outbound").getJsonObject(0).put("peer", "10.0.0.7:99999");
    assertEquals("config key 'outbound[0].peer': port 99999 out of range", error(c));

    c = valid();
    c.getJsonArray("outbound").getJsonObject(0).remove("listen");
    assertEquals("config key 'outbound[0].listen': required", error(c));

    c = valid();
    c.getJsonObject("node").remove("id");
    assertTrue(error(c).startsWith("config key 'node.id': required"));
  }

  @Test
  void typosAreCaughtNotIgnored() {
    JsonObject c = valid();
    c.getJsonObject("keysyn").put("intreval", "30s");
    assertTrue(error(c).startsWith("config key 'keysyn.intreval': unknown key"));
    c = valid();
    c.put("servics", new JsonObject());
    assertTrue(error(c).startsWith("config key 'servics': unknown key"));
  }

  @Test
  void theSeedMustComeFromExactlyOneSource() {
    JsonObject c = valid();
    c.getJsonObject("keysyn").put("seed-env", "SSCMIC_SEED");
    assertTrue(error(c).contains("set only one of keysyn.seed-file or keysyn.seed-env"), error(c));
    c.getJsonObject("keysyn").remove("seed-env");
    c.getJsonObject("keysyn").remove("seed-file");
    assertTrue(error(c).contains("or configure an authority section"), error(c));
  }

  private static JsonObject withAuthority() {
    JsonObject c = valid();
    c.getJsonObject("keysyn").remove("seed-file");
    c.put("authority", new JsonObject().put("url", "https://10.0.0.5:8443").put("ca-file", "/etc/sscmic/ca.crt")
        .put("state-dir", "/var/lib/sscmic").put("token-file", "/etc/sscmic/token"));
    return c;
  }

  /** Issue 17 item 4: several authority replicas, comma-separated (as SSCMIC_AUTHORITY_URL holds them) or a list. */
  @Test
  void authorityUrlTakesSeveralReplicasInOrder() {
    JsonObject c = withAuthority();
    c.getJsonObject("authority").put("url", "https://10.0.0.5:8443, https://[fd00::6]:9443,https://a3.internal");
    AuthorityRecovery.Settings s = NodeConfigParser.parse(c).authority();
    assertEquals(List.of(new io.sscmic.keysyn.recovery.AuthorityClient.Address("10.0.0.5", 8443),
        new io.sscmic.keysyn.recovery.AuthorityClient.Address("fd00::6", 9443),
        new io.sscmic.keysyn.recovery.AuthorityClient.Address("a3.internal", 443)), s.addresses());
    assertEquals("https://10.0.0.5:8443,https://[fd00::6]:9443,https://a3.internal:443", s.urls());
    c.getJsonObject("authority").put("url", new io.vertx.core.json.JsonArray().add("https://a1:8443")
        .add("https://a2:8443"));
    assertEquals(2, NodeConfigParser.parse(c).authority().addresses().size());
    c.getJsonObject("authority").put("url", "https://a1:8443,http://a2:8443");
    assertTrue(error(c).startsWith("config key 'authority.url': expected https://host:port[,https://host2:port...]"),
        error(c));
    c.getJsonObject("authority").put("url", "https://a1:8443,https://a1:8443");
    assertTrue(error(c).contains("lists https://a1:8443 twice"), error(c));
  }

  @Test
  void aNodeWithAnAuthorityNeedsNoSeed() {
    NodeConfig c = NodeConfigParser.parse(withAuthority());
    assertNull(c.keysyn().seed());
    assertEquals("10.0.0.5", c.authority().host());
    assertEquals(8443, c.authority().port());
    assertEquals(AuthorityRecovery.Method.SEALED_STATE, c.authority().method());
    assertEquals("file /etc/sscmic/token", c.authority().token().describe());
  }

  @Test
  void theSeedStaysOffANodeThatRecoversByMethodTwo() {
    JsonObject c = withAuthority();
    c.getJsonObject("keysyn").put("seed-file", "/etc/sscmic/seed");
    assertTrue(error(c).startsWith("config key 'keysyn.seed-file': with recovery method 2"), error(c));
    c.getJsonObject("authority").put("recovery", "method1");
    assertEquals(AuthorityRecovery.Method.EPOCH_ONLY, NodeConfigParser.parse(c).authority().method());
    c.getJsonObject("keysyn").remove("seed-file");
    assertTrue(error(c).contains("method1 recomputes keys from the seed"), error(c));
  }

  private static JsonObject withHttp() {
    JsonObject c = valid();
    c.put("http", new JsonObject().put("listen", "127.0.0.1:8080")
        .put("services", new JsonObject().put("orders", new JsonArray().add("10.0.0.7:7443").add("10.0.0.8:7443"))
            .put("billing", "10.0.0.9:7443"))
        .put("routes", new JsonArray()
            .add(new JsonObject().put("host", "Orders.Internal").put("service", "orders").put("timeout", "5s"))
            .add(new JsonObject().put("path-prefix", "/bill").put("service", "billing"))));
    return c;
  }

  @Test
  void anHttpListenerWithRoutesAndSeveralPeersPerService() {
    HttpModeConfig h = NodeConfigParser.parse(withHttp()).http();
    assertEquals(8080, h.listen().port());
    assertEquals(2, h.services().get("orders").size());
    assertEquals(1, h.services().get("billing").size());
    assertEquals("orders.internal", h.routes().get(0).host());
    assertEquals(Duration.ofSeconds(5), h.routes().get(0).timeout());
    assertEquals("/bill", h.routes().get(1).pathPrefix());
    assertEquals(HttpModeConfig.DEFAULT_TIMEOUT, h.timeout());
    assertEquals(HttpModeConfig.DEFAULT_MAX_CONNECTIONS, h.maxConnectionsPerPeer());
    assertEquals(io.sscmic.gateway.http.ListenerLimits.DEFAULTS, h.limits());
  }

  /** Issue 19: a route's name is its label on the request meters; by default its host and path prefix. */
  @Test
  void routeNamesAreReadOrDerivedAndTwoRoutesCannotShareOne() {
    JsonObject c = withHttp();
    HttpModeConfig derived = NodeConfigParser.parse(c).http();
    assertEquals("orders.internal/", derived.routes().get(0).name());
    assertEquals("*/bill", derived.routes().get(1).name());
    c.getJsonObject("http").getJsonArray("routes").getJsonObject(1).put("name", "billing-api");
    assertEquals("billing-api", NodeConfigParser.parse(c).http().routes().get(1).name());

    // Two routes, one label value: their signals would merge into one series and one row.
    c.getJsonObject("http").getJsonArray("routes").getJsonObject(1).put("name", "orders.internal/");
    assertTrue(error(c).startsWith("config key 'http.routes[1].name': 'orders.internal/' is already the name of "
        + "route 0"), error(c));
    JsonObject same = withHttp();
    same.getJsonObject("http").getJsonArray("routes").add(new JsonObject().put("path-prefix", "/bill")
        .put("service", "orders"));
    assertTrue(error(same).startsWith("config key 'http.routes[2].name': '*/bill' is already the name of route 1 "
        + "(the name derived from host and path-prefix: give one of them a name)"), error(same));
  }

  @Test
  void httpListenerLimitsAreRead() {
    JsonObject c = withHttp();
    c.getJsonObject("http").put("max-header-size", 16384).put("max-initial-line-length", "2048")
        .put("header-timeout", "3s").put("idle-timeout", "0s").put("max-client-connections", 50);
    var l = NodeConfigParser.parse(c).http().limits();
    assertEquals(new io.sscmic.gateway.http.ListenerLimits(16384, 2048, Duration.ofSeconds(3), Duration.ZERO, 50), l);
  }

  /** Issue 16: a service in the long form with its protocol; the listener's h2c and the retry budget. */
  @Test
  void anH2cServiceInTheLongFormAndTheRetryBudget() {
    JsonObject c = withHttp();
    HttpModeConfig plain = NodeConfigParser.parse(c).http();
    assertEquals(io.sscmic.gateway.http.upstream.ServiceProtocol.HTTP1, plain.protocol("orders"));
    assertTrue(!plain.listensH2c(), "no h2c service, no http.h2c: HTTP/1.1 only");
    assertEquals(io.sscmic.gateway.http.upstream.RetryBudget.Settings.DEFAULT, plain.retryBudget());

    c.getJsonObject("http").getJsonObject("services").put("payments", new JsonObject()
        .put("peers", new JsonArray().add("10.0.0.10:7443").add("10.0.0.11:7443")).put("protocol", "h2c"));
    c.getJsonObject("http").put("retry-budget", new JsonObject().put("ratio", 0.1).put("min-per-second", 0));
    HttpModeConfig h = NodeConfigParser.parse(c).http();
    assertEquals(io.sscmic.gateway.http.upstream.ServiceProtocol.H2C, h.protocol("payments"));
    assertEquals(io.sscmic.gateway.http.upstream.ServiceProtocol.HTTP1, h.protocol("orders"));
    assertEquals(2, h.services().get("payments").size());
    assertTrue(h.listensH2c(), "an h2c service turns the listener's h2c on");
    assertEquals(new io.sscmic.gateway.http.upstream.RetryBudget.Settings(0.1, 0), h.retryBudget());
    c.getJsonObject("http").put("h2c", false);
    assertTrue(!NodeConfigParser.parse(c).http().listensH2c(), "unless http.h2c says otherwise");

    JsonObject bad = withHttp();
    bad.getJsonObject("http").getJsonObject("services").put("payments", new JsonObject()
        .put("peers", "10.0.0.10:7443").put("protocol", "grpc"));
    assertTrue(error(bad).startsWith("config key 'http.services.payments.protocol': expected http1 or h2c"), error(bad));
    bad.getJsonObject("http").getJsonObject("services").put("payments", new JsonObject().put("protocol", "h2c"));
    // No peers and no authority to resolve the name by: refused, and the message says how to fix it.
    assertTrue(error(bad).startsWith("config key 'http.services.payments': required: one or more peer sidecars")
        && error(bad).contains("resolves by name"), error(bad));
    bad.getJsonObject("http").getJsonObject("services").put("payments", new JsonObject().put("peer", "10.0.0.10:7443"));
    assertTrue(error(bad).startsWith("config key 'http.services.payments.peer': unknown key"), error(bad));
    bad = withHttp();
    bad.getJsonObject("http").put("retry-budget", new JsonObject().put("ratio", 2));
    assertTrue(error(bad).startsWith("config key 'http.retry-budget.ratio': expected a number from 0 to 1"), error(bad));
    bad.getJsonObject("http").put("retry-budget", new JsonObject().put("retries", 2));
    assertTrue(error(bad).startsWith("config key 'http.retry-budget.retries': unknown key"), error(bad));
  }

  @Test
  void badHttpSettingsNameTheirKey() {
    JsonObject c = withHttp();
    c.getJsonObject("http").getJsonArray("routes").getJsonObject(1).put("service", "nowhere");
    assertTrue(error(c).startsWith("config key 'http.routes[1].service': 'nowhere' is not in http.services"), error(c));
    c = withHttp();
    c.getJsonObject("http").remove("listen");
    assertTrue(error(c).startsWith("config key 'http.listen': required"), error(c));
    c = withHttp();
    c.getJsonObject("http").put("max-connections-per-peer", 0);
    assertTrue(error(c).startsWith("config key 'http.max-connections-per-peer'"), error(c));
    c = withHttp();
    c.getJsonObject("http").getJsonArray("routes").getJsonObject(0).put("path-prefix", "api");
    assertTrue(error(c).startsWith("config key 'http.routes[0].path-prefix': must start with '/'"), error(c));
    c = withHttp();
    c.getJsonObject("http").getJsonObject("services").put("empty", new JsonArray());
    assertTrue(error(c).startsWith("config key 'http.services.empty': required"), error(c));
    c = withHttp();
    c.getJsonObject("http").put("header-timeout", "0s");
    assertTrue(error(c).startsWith("config key 'http.header-timeout': must be more than 0"), error(c));
    c = withHttp();
    c.getJsonObject("http").put("max-client-connections", "lots");
    assertTrue(error(c).startsWith("config key 'http.max-client-connections'"), error(c));
  }

  @Test
  void badAuthoritySettingsNameTheirKey() {
    JsonObject c = withAuthority();
    c.getJsonObject("authority").put("url", "http://10.0.0.5:8443");
    assertTrue(error(c).startsWith("config key 'authority.url': expected https://host:port"), error(c));
    c = withAuthority();
    c.getJsonObject("authority").remove("ca-file");
    assertTrue(error(c).startsWith("config key 'authority.ca-file': required"), error(c));
    c = withAuthority();
    c.getJsonObject("authority").put("recovery", "method3");
    assertTrue(error(c).startsWith("config key 'authority.recovery'"), error(c));
    c = withAuthority();
    c.getJsonObject("authority").put("token-env", "T");
    assertTrue(error(c).contains("only one of authority.token-file or authority.token-env"), error(c));
    c = withAuthority();
    c.getJsonObject("authority").put("tokn-file", "x");
    assertTrue(error(c).startsWith("config key 'authority.tokn-file': unknown key"), error(c));
  }

  @Test
  void aSendOnlyNodeNeedsNoTunnelListener() {
    JsonObject c = valid();
    c.remove("services");
    c.remove("tunnel");
    NodeConfig parsed = NodeConfigParser.parse(c);
    assertNull(parsed.tunnel().listen());
  }

  @Test
  void servicesWithoutATunnelListenerAreRefused() {
    JsonObject c = valid();
    c.remove("tunnel");
    assertEquals("config key 'tunnel.listen': required when services are configured", error(c));
  }

  @Test
  void environmentVariablesOverrideScalarKeys() {
    JsonObject merged = valid()
        .put(ConfigLoader.envName("keysyn.interval"), "10s")
        .put(ConfigLoader.envName("tunnel.listen"), "127.0.0.1:8443")
        .put("PATH", "/usr/bin");
    assertEquals("SSCMIC_KEYSYN_INTERVAL", ConfigLoader.envName("keysyn.interval"));
    assertEquals("SSCMIC_TUNNEL_CONNECT_TIMEOUT", ConfigLoader.envName("tunnel.connect-timeout"));
    NodeConfig c = NodeConfigParser.parse(ConfigLoader.applyEnvironment(merged));
    assertEquals(Duration.ofSeconds(10), c.keysyn().interval());
    assertEquals(8443, c.tunnel().listen().port());
  }
}
