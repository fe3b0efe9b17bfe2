package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** tunnel.stream-window: sizes in bytes, KiB or MiB; out of range or not a size is refused naming the key. */
class StreamWindowKeyTest {
  private static NodeConfig parse(Object window) {
    JsonObject c = NodeConfigParserTest.valid();
    c.getJsonObject("tunnel").put("stream-window", window);
    return NodeConfigParser.parse(c);
  }

  private static String error(Object window) {
    return assertThrows(ConfigException.class, () -> parse(window)).getMessage();
  }

  @Test
  void theDefaultIs256KiBAndSizesParseInEveryUnit() {
    assertEquals(256 * 1024, NodeConfigParser.parse(NodeConfigParserTest.valid()).v2().streamWindow());
    assertEquals(256 * 1024, parse("256KiB").v2().streamWindow());
    assertEquals(4 << 20, parse("4MiB").v2().streamWindow());
    assertEquals(65_536, parse("65536").v2().streamWindow());
    assertEquals(65_536, parse(65_536).v2().streamWindow(), "a YAML number");
  }

  @Test
  void whatIsNotASizeInRangeIsRefusedNamingTheKey() {
    assertEquals("config key 'tunnel.stream-window': expected a size from 16384 to 16777216 bytes, got 8192",
        error("8KiB"));
    assertEquals("config key 'tunnel.stream-window': expected a size from 16384 to 16777216 bytes, got 33554432",
        error("32MiB"));
    assertEquals("config key 'tunnel.stream-window': expected a size such as 256KiB, 1MiB or a number of bytes, "
        + "got 'big'", error("big"));
  }
}
