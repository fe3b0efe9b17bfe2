package io.sscmic.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.TestVertx;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The YAML file through the real Vert.x Config stores. */
class ConfigLoaderTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private NodeConfig load(Path file) throws Exception {
    return ConfigLoader.load(vertx.get(), file).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The node.yaml shown in README.md, read from README.md itself so the two cannot drift. */
  @Test
  void readsTheReadmeExample(@TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("```yaml\n# node.yaml");
    assertTrue(start >= 0, "README.md has the node.yaml example");
    String yaml = readme.substring(readme.indexOf('\n', start) + 1, readme.indexOf("```", start + 7));
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, yaml);
    NodeConfig c = load(file);
    assertEquals("orders-1", c.nodeId());
    assertEquals(Duration.ofSeconds(30), c.keysyn().interval());
    assertEquals("authority.internal", c.authority().host());
    assertEquals(8443, c.authority().port());
    assertEquals(null, c.keysyn().seed(), "the README's node recovers its keys from the authority");
    assertEquals(2, c.outbound().size());
    assertEquals(null, c.outbound().get(0).peer(), "billing is found by name in the registry");
    assertEquals("ledger-1", c.outbound().get(1).peerNode(), "the static route names its peer's node for v2");
    assertEquals(TunnelVersion.V2, c.v2().version(), "the README's node dials tunnel v2");
    assertEquals(8080, c.services().get("orders").port());
  }

  @Test
  void anUnquotedYamlTimestampIsAcceptedToo(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, "node: {id: a}\nkeysyn: {genesis: 2026-01-01T00:00:00Z, interval: 5s, seed-env: S}\n"
        + "outbound: [{listen: '127.0.0.1:1', service: x, peer: '127.0.0.1:2'}]\n");
    assertEquals(java.time.Instant.parse("2026-01-01T00:00:00Z"), load(file).keysyn().genesis());
  }

  @Test
  void aMissingFileSaysWhich(@TempDir Path dir) {
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> load(dir.resolve("nope.yaml")));
    assertInstanceOf(ConfigException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("nope.yaml"), e.getCause().getMessage());
  }

  @Test
  void brokenYamlSaysSo(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "node: [unclosed\n");
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> load(file));
    assertTrue(e.getCause().getMessage().contains("bad.yaml"), e.getCause().getMessage());
  }
}
