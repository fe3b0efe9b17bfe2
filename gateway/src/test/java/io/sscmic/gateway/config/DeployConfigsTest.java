package io.sscmic.gateway.config;

import io.sscmic.authority.store.AuthorityFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.gateway.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

/**
 * The node configs shipped in deploy/ (compose and Kubernetes) through the real parser, with the
 * environment overrides their deployments set, so a typo or a stale key in them fails here, and
 * their genesis and interval agree with the {@code sscmic init} the same deployment runs.
 */
class DeployConfigsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final Pattern INIT_GENESIS = Pattern.compile("--genesis (\\S+)");
  private static final Pattern INIT_INTERVAL = Pattern.compile("--interval (\\S+)");
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private NodeConfig parse(Path file, Map<String, String> env) throws Exception {
    JsonObject merged = ConfigLoader.read(vertx.get(), file, false).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    env.forEach(merged::put);
    return NodeConfigParser.parse(ConfigLoader.applyEnvironment(merged));
  }

  private static String group(Pattern p, String text, String what) {
    Matcher m = p.matcher(text);
    assertTrue(m.find(), what);
    return m.group(1);
  }

  @Test
  void composeNodeConfigsParseAndMatchTheMeshInitItRuns() throws Exception {
    String compose = Files.readString(DEPLOY.resolve("docker/compose.yaml"));
    Instant genesis = Instant.parse(group(INIT_GENESIS, compose, "mesh-init passes --genesis"));
    Duration interval = NodeConfigParser.duration(group(INIT_INTERVAL, compose, "mesh-init passes --interval"), "x", null);
    Map<String, String> peers = Map.of("node-a", "sidecar-a", "node-b", "sidecar-b", "node-c", "sidecar-c");
    for (String id : List.of("node-a", "node-b", "node-c")) {
      NodeConfig c = parse(DEPLOY.resolve("docker/nodes/" + id + ".yaml"), Map.of());
      assertEquals(id, c.nodeId());
      assertEquals(genesis, c.keysyn().genesis(), id + ": genesis as in mesh-init");
      assertEquals(interval, c.keysyn().interval(), id + ": interval as in mesh-init");
      assertNotNull(c.authority(), id + ": recovers through the authority");
      assertEquals("authority", c.authority().host());
      assertEquals(8443, c.authority().port());
      assertTrue(Files.readString(DEPLOY.resolve("docker/nodes/" + id + ".yaml"))
          .contains("token-file: /var/lib/sscmic-shared/" + id + ".token")
          && compose.contains("> \"/var/lib/sscmic-shared/$$node.token\"") && compose.contains(id),
          id + ": mesh-init writes the token where the config reads it");
      assertEquals(1, c.services().size());
      assertEquals(8080, c.services().values().iterator().next().port());
      assertEquals(2, c.outbound().size(), id + " calls the other two services");
      for (OutboundRoute r : c.outbound()) {
        assertTrue(peers.containsValue(r.peer().host()) && !r.peer().host().equals(peers.get(id)), r.toString());
        assertEquals(7443, r.peer().port());
      }
      assertEquals(15000, c.admin().listen().port());
      assertEquals("0.0.0.0", c.admin().listen().host(), "Prometheus scrapes it on the compose network");
      // ... over TLS only, with the certificate mesh-init makes (admin.tls parsed by the real parser).
      assertNotNull(c.admin().tls(), id + ": the admin port on the network has TLS");
      assertEquals("/var/lib/sscmic-shared/admin-tls/admin.crt", c.admin().tls().certFile());
      assertTrue(compose.contains("-keyout \"$$shared/admin-tls/admin.key\""), "mesh-init writes the key the config reads");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void kubernetesConfigMapParsesWithThePodsEnvironmentAndMatchesTheAuthoritysInit(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    String nodeYaml = null;
    Map<String, Object> sidecar = null;
    for (Object doc : new Yaml().loadAll(Files.readString(DEPLOY.resolve("kubernetes/sidecar-example.yaml")))) {
      Map<String, Object> o = (Map<String, Object>) doc;
      if ("ConfigMap".equals(o.get("kind"))) {
        nodeYaml = (String) ((Map<String, Object>) o.get("data")).get("node.yaml");
      }
      if ("StatefulSet".equals(o.get("kind"))) {
        Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) o.get("spec"))
            .get("template")).get("spec");
        for (Object c : (List<Object>) pod.get("initContainers")) {
          if (String.valueOf(((Map<String, Object>) c).get("image")).startsWith("sscmic:")) {
            sidecar = (Map<String, Object>) c;
          }
        }
      }
    }
    assertNotNull(nodeYaml, "the ConfigMap holds node.yaml");
    assertNotNull(sidecar, "the StatefulSet has the gateway container");
    // The Pod's environment, with $(POD_NAME) expanded as the kubelet does for orders-0.
    Map<String, String> env = new java.util.HashMap<>();
    for (Object e : (List<Object>) sidecar.get("env")) {
      Map<String, Object> var = (Map<String, Object>) e;
      if (var.get("value") != null) {
        env.put((String) var.get("name"), ((String) var.get("value")).replace("$(POD_NAME)", "orders-0"));
      }
    }
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, nodeYaml);
    NodeConfig c = parse(file, env);
    assertEquals("orders-0", c.nodeId(), "node.id from the Pod's name");
    assertEquals("sscmic-authority.sscmic.svc", c.authority().host());
    assertEquals(8443, c.authority().port());
    assertEquals(Path.of("/var/lib/sscmic/state"), c.authority().stateDir());

    String authority = Files.readString(DEPLOY.resolve("kubernetes/authority.yaml"));
    assertEquals(Instant.parse(group(INIT_GENESIS, authority, "the init container passes --genesis")), c.keysyn().genesis());
    assertEquals(NodeConfigParser.duration(group(INIT_INTERVAL, authority, "--interval"), "x", null), c.keysyn().interval());
    assertTrue(Pattern.compile("--host " + Pattern.quote(c.authority().host()) + "\\s").matcher(authority).find(),
        "the authority's certificate names "
        + c.authority().host());
    assertTrue(authority.contains("/var/lib/sscmic-authority/mesh/" + AuthorityFiles.FILE));
    // The admin port listens on the Pod's network only with TLS, from the Secret the Pod mounts.
    assertEquals("0.0.0.0", c.admin().listen().host());
    assertNotNull(c.admin().tls(), "the admin port on the Pod network has TLS");
    assertEquals("/etc/sscmic/admin-tls/tls.crt", c.admin().tls().certFile());
    assertEquals("/etc/sscmic/admin-tls/tls.key", c.admin().tls().keyFile());
  }
}
