package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Configuration by name (issue 17): what the user writes, what it means, and what is refused with which message. */
class DiscoveryConfigTest {
  private static JsonObject withAuthority() {
    JsonObject c = NodeConfigParserTest.valid();
    c.getJsonObject("keysyn").remove("seed-file");
    return c.put("authority", new JsonObject().put("url", "https://10.0.0.5:8443").put("ca-file", "/etc/sscmic/ca.crt")
        .put("state-dir", "/var/lib/sscmic"));
  }

  private static JsonObject byName(JsonObject c) {
    c.put("outbound", new JsonArray().add(new JsonObject().put("listen", "127.0.0.1:9001").put("service", "billing")));
    return c;
  }

  private static String error(JsonObject config) {
    return assertThrows(ConfigException.class, () -> NodeConfigParser.parse(config)).getMessage();
  }

  @Test
  void anOutboundRouteWithoutPeerResolvesThroughTheAuthorityByDefault() {
    NodeConfig c = NodeConfigParser.parse(byName(withAuthority()));
    assertNull(c.outbound().get(0).peer());
    assertEquals(DiscoverySection.Resolver.AUTHORITY, c.discovery().resolver());
    assertEquals(Path.of("/var/lib/sscmic/registry-view.json"), c.discovery().cacheFile());
    assertNull(c.discovery().advertise(), "derived from tunnel.listen");
  }

  @Test
  void withoutAnAuthorityARouteByNameIsRefusedNamingTheKey() {
    assertEquals("config key 'outbound[0].peer': required without an authority (a service is resolved by name "
        + "through the authority's registry, or set resolve.resolver: dns)", error(byName(NodeConfigParserTest.valid())));
  }

  @Test
  void dnsNeedsADomainAndThenServesASeedOnlyNode() {
    JsonObject c = byName(NodeConfigParserTest.valid()).put("resolve", new JsonObject().put("resolver", "dns"));
    assertEquals("config key 'resolve.dns.domain': required with resolve.resolver: dns (SRV names are "
        + "_NAME._tcp.<domain>)", error(c));
    c.getJsonObject("resolve").put("dns", new JsonObject().put("domain", "mesh.internal").put("server", "10.0.0.2:53")
        .put("refresh", "10s"));
    NodeConfig parsed = NodeConfigParser.parse(c);
    assertEquals(DiscoverySection.Resolver.DNS, parsed.discovery().resolver());
    assertEquals("mesh.internal", parsed.discovery().dnsDomain());
    assertEquals(53, parsed.discovery().dnsServer().port());
    assertEquals(Duration.ofSeconds(10), parsed.discovery().dnsRefresh());
    assertTrue(error(c.put("resolve", new JsonObject().put("resolver", "consul"))).contains("expected authority or dns"));
  }

  @Test
  void anEmptyHttpServiceEntryResolvesByNameAndAStaticOneStaysAnOverride() {
    JsonObject c = withAuthority().put("http", new JsonObject().put("listen", "127.0.0.1:7080")
        .put("services", new JsonObject().put("orders", new JsonArray()).put("billing", "10.0.0.7:7443")));
    NodeConfig parsed = NodeConfigParser.parse(c);
    assertEquals(List.of(), parsed.http().endpoints().get("orders"));
    assertEquals(1, parsed.http().endpoints().get("billing").size());
    JsonObject seedOnly = NodeConfigParserTest.valid().put("http", c.getJsonObject("http"));
    assertTrue(error(seedOnly).startsWith("config key 'http.services.orders': required: one or more peer sidecars"),
        error(seedOnly));
  }

  @Test
  void advertiseTakesAnAddressOrNone() {
    NodeConfig none = NodeConfigParser.parse(withAuthority().put("tunnel", new JsonObject().put("listen", "0.0.0.0:7443")
        .put("advertise", "none")));
    assertEquals(Optional.empty(), none.discovery().advertise());
    NodeConfig given = NodeConfigParser.parse(withAuthority().put("tunnel", new JsonObject()
        .put("listen", "0.0.0.0:7443").put("advertise", "10.0.0.7:7443")));
    assertEquals("10.0.0.7", given.discovery().advertise().get().host());
  }
}
