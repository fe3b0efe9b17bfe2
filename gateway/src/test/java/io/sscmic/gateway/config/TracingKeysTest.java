package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The tracing section: off without an endpoint, a bare collector address gets /v1/traces, bad values named. */
class TracingKeysTest {
  private static NodeConfig parse(JsonObject tracing) {
    return NodeConfigParser.parse(NodeConfigParserTest.valid().put("tracing", tracing));
  }

  private static String error(JsonObject tracing) {
    return assertThrows(ConfigException.class, () -> parse(tracing)).getMessage();
  }

  @Test
  void withoutAnEndpointTracingIsOff() {
    assertNull(NodeConfigParser.parse(NodeConfigParserTest.valid()).tracing());
    assertNull(parse(new JsonObject().put("sample-ratio", "1")).tracing(), "a ratio alone starts nothing");
  }

  @Test
  void anEndpointTurnsItOnWithTheDefaultRatio() {
    TracingSection t = parse(new JsonObject().put("otlp-endpoint", "http://otel-collector:4318")).tracing();
    assertEquals(URI.create("http://otel-collector:4318/v1/traces"), t.otlpEndpoint());
    assertEquals(0.01, t.sampleRatio());
    t = parse(new JsonObject().put("otlp-endpoint", "https://c.example:443/otlp/v1/traces").put("sample-ratio", 1))
        .tracing();
    assertEquals(URI.create("https://c.example:443/otlp/v1/traces"), t.otlpEndpoint(), "a path is kept");
    assertEquals(1.0, t.sampleRatio());
  }

  @Test
  void httpServicesNameInboundServices() {
    assertEquals(java.util.Set.of(), parse(new JsonObject().put("otlp-endpoint", "http://c:4318")).tracing()
        .httpServices(), "none by default: every service stays opaque TCP");
    assertEquals(java.util.Set.of("orders"), parse(new JsonObject().put("otlp-endpoint", "http://c:4318")
        .put("http-services", new io.vertx.core.json.JsonArray().add("orders"))).tracing().httpServices());
    assertEquals("config key 'tracing.http-services': 'billing' is not in services [orders]",
        error(new JsonObject().put("otlp-endpoint", "http://c:4318")
            .put("http-services", new io.vertx.core.json.JsonArray().add("billing"))));
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertEquals("config key 'tracing.otlp-endpoint': expected http(s)://host:port[/v1/traces], got "
        + "'otel-collector:4317'", error(new JsonObject().put("otlp-endpoint", "otel-collector:4317")));
    assertEquals("config key 'tracing.sample-ratio': expected a number from 0 to 1, got '1.5'",
        error(new JsonObject().put("otlp-endpoint", "http://c:4318").put("sample-ratio", "1.5")));
    assertEquals("config key 'tracing.sample-ratio': expected a number from 0 to 1, got 'all'",
        error(new JsonObject().put("otlp-endpoint", "http://c:4318").put("sample-ratio", "all")));
  }
}
