package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.handshake.TestIdentities;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config reload started from a thread outside Vert.x, as the SIGHUP handler calls
 * {@link Node#reload()} (cli/Main), under a steady stream of new application connections: every
 * connection across the swap of data planes completes with all its bytes, on tunnel v1 and v2.
 * Before the fix, the first connection after such a swap was reset: the replaced listeners left
 * the shared port from another event loop than the one the new listeners accepted on (see
 * {@link SidecarVerticle}).
 */
class ReloadFromPlainThreadTest {
  private static final TestIdentities MESH = new TestIdentities("reload-thread");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  /** Reloads in a row: each one swaps the data plane under load. */
  private static final int RELOADS = 10;
  /** Application connections opened at once, each thread opening the next when its last one ended. */
  private static final int CLIENTS = 4;
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private NetServer echo;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    echo = Backends.echo(vertx);
    Files.writeString(dir.resolve("seed"), HexFormat.of().formatHex(TestMesh.SEED));
  }

  @Test
  void everyConnectionAcrossReloadsFromAPlainThreadCompletesOnTunnelV1() throws Exception {
    Node bravo = TestMesh.start(vertx, TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    reloadsUnderLoad(bravo, "", "", null);
  }

  /**
   * A node with an HTTP listener too: the reload replaces the TCP data plane and keeps the HTTP
   * listener; requests to it, each on a connection of its own, and echo connections all complete
   * across the reloads.
   */
  @Test
  void everyConnectionAndHttpRequestAcrossReloadsFromAPlainThreadCompletesOnANodeWithAnHttpListener()
      throws Exception {
    io.vertx.core.http.HttpServer web = vertx.createHttpServer()
        .requestHandler(r -> r.response().putHeader("content-type", "text/plain").end("web says " + r.path()));
    TestMesh.await(web.listen(0, "127.0.0.1"));
    Node bravo = TestMesh.start(vertx, TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo), "web", io.vertx.core.net.SocketAddress.inetSocketAddress(
            web.actualPort(), "127.0.0.1"))));
    int httpPort = freePort();
    reloadsUnderLoad(bravo, "", "http:\n  listen: \"127.0.0.1:" + httpPort + "\"\n  services:\n    web: [\"127.0.0.1:"
        + bravo.tunnelPort() + "\"]\n", (client, i) -> {
          String path = "/c" + client + "/r" + i;
          String answer = httpGet(httpPort, path);
          return answer.startsWith("HTTP/1.1 200") && answer.endsWith("web says " + path) ? null
              : "HTTP request " + path + ": " + answer;
        });
  }

  @Test
  void everyConnectionAcrossReloadsFromAPlainThreadCompletesOnTunnelV2() throws Exception {
    Node bravo = TestMesh.start(vertx, TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))), MESH, dir, null));
    // alpha's certificate, key and CA as tunnel.identity-dir expects them (its routes come from the YAML).
    TestMesh.v2(TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo", bravo.tunnelPort()), MESH, dir,
        "bravo");
    reloadsUnderLoad(bravo, "  version: v2\n  identity-dir: " + dir.resolve("identity-alpha") + "\n  pool-size: 1\n",
        "", null);
  }

  /**
   * The dashboard's drain then undrain (a fresh data plane on the node's data-plane context binds
   * the ports the drained one closed): the outbound port refuses while drained and carries
   * connections again after.
   */
  @Test
  void anUndrainedNodeTakesConnectionsAgainOnItsPorts() throws Exception {
    Node bravo = TestMesh.start(vertx, TestMesh.server("bravo", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    Node alpha = TestMesh.start(vertx, TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo",
        bravo.tunnelPort()));
    int port = alpha.outboundPort("echo");
    assertArrayEquals(new byte[] {1}, Clients.exchange(port, new byte[] {1}));

    JsonObject drained = TestMesh.await(vertx.eventBus()
        .<JsonObject>request(io.sscmic.admin.AdminAddresses.action("alpha", "drain"), null)).body();
    assertTrue(drained.getBoolean("ok"), drained.encode());
    TestWait.until(() -> {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return false;
      } catch (java.io.IOException e) {
        return true;
      }
    }, "the drained node refuses new connections");

    JsonObject undrained = TestMesh.await(vertx.eventBus()
        .<JsonObject>request(io.sscmic.admin.AdminAddresses.action("alpha", "undrain"), null)).body();
    assertTrue(undrained.getBoolean("ok"), undrained.encode());
    int again = alpha.outboundPort("echo");
    for (int i = 0; i < 10; i++) {
      byte[] payload = Clients.random(5_000, i);
      assertArrayEquals(payload, Clients.exchange(again, payload), "connection " + i + " after the undrain");
    }
  }

  /**
   * alpha (from a YAML file, with an outbound listener for echo through bravo and a tunnel
   * listener of its own) reloaded {@link #RELOADS} times from a plain thread while
   * {@link #CLIENTS} threads open connections without pause; each reload changes the cipher, so
   * each one replaces the data plane on the same ports.
   */
  private void reloadsUnderLoad(Node bravo, String tunnelV2, String otherSections, Probe http) throws Exception {
    int echoPort = freePort();
    int tunnelPort = freePort();
    Path file = dir.resolve("alpha.yaml");
    String[] ciphers = {"aes-256-gcm", "chacha20-poly1305"};
    java.util.function.IntFunction<String> yaml = i -> "node:\n  id: alpha\nkeysyn:\n  genesis: \"" + genesis
        + "\"\n  interval: 20s\n  seed-file: " + dir.resolve("seed") + "\ntunnel:\n  listen: \"127.0.0.1:" + tunnelPort
        + "\"\n  handshake-timeout: 15s\n  cipher: " + ciphers[i % 2] + "\n" + tunnelV2
        + "admin:\n  listen: none\nservices:\n  echo: \"" + Backends.address(echo).host() + ":"
        + Backends.address(echo).port() + "\"\noutbound:\n"
        + "  - {listen: \"127.0.0.1:" + echoPort + "\", service: echo, peer: \"127.0.0.1:" + bravo.tunnelPort() + "\""
        + (tunnelV2.isEmpty() ? "" : ", peer-node: bravo") + "}\n" + otherSections;
    Files.writeString(file, yaml.apply(0));
    NodeConfig config = TestMesh.await(ConfigLoader.load(vertx, file));
    Node alpha = TestMesh.await(Node.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        file));
    assertArrayEquals(new byte[] {1, 2, 3}, Clients.exchange(echoPort, new byte[] {1, 2, 3}));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    ConcurrentLinkedQueue<String> broken = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Void>> load = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      load.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; !stop.get(); i++) {
          byte[] payload = Clients.random(1_000 + i % 3_000, client * 1_000_000L + i);
          try {
            if (http != null && i % 2 == 1) {
              String failed = http.attempt(client, i);
              if (failed == null) {
                done.incrementAndGet();
              } else {
                broken.add(failed);
              }
              continue;
            }
            byte[] got = Clients.exchange(echoPort, payload);
            if (java.util.Arrays.equals(payload, got)) {
              done.incrementAndGet();
            } else {
              broken.add("client " + client + " connection " + i + ": " + got.length + " of " + payload.length
                  + " bytes came back");
            }
          } catch (Exception e) {
            broken.add("client " + client + " connection " + i + ": " + e);
          }
        }
      }, java.util.concurrent.Executors.newSingleThreadExecutor()));
    }
    try {
      TestWait.until(() -> done.get() >= 20, "connections flowing before the reloads");
      for (int r = 1; r <= RELOADS; r++) {
        Files.writeString(file, yaml.apply(r));
        JsonObject answer = reloadAsSighupDoes(alpha);
        assertEquals(true, answer.getBoolean("ok"), answer.encode());
        int atReload = done.get();
        // Connections keep completing on the new data plane before the next swap.
        TestWait.until(() -> done.get() >= atReload + 20 || broken.size() > 3, "connections after reload " + r);
      }
    } finally {
      stop.set(true);
      CompletableFuture.allOf(load.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
    }
    assertEquals(List.of(), List.copyOf(broken), "every connection across the reloads completes with its bytes ("
        + done.get() + " did)");
    assertEquals(RELOADS, alpha.reloads("ok"));
    assertTrue(done.get() >= 20 * (RELOADS + 1), done.get() + " connections");
    assertEquals("chacha20-poly1305".equals(ciphers[RELOADS % 2]) ? "CHACHA20_POLY1305" : "AES_256_GCM",
        alpha.config().tunnel().cipher().name());
  }

  /** One request of the load: null when it completed as it should, else what went wrong. */
  private interface Probe {
    String attempt(int client, int i) throws Exception;
  }

  /** GET {@code path} on a connection of its own (Connection: close), the whole answer as text. */
  private static String httpGet(int port, String path) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** As cli/Main's SIGHUP handler: Node.reload() called on a thread Vert.x does not own. */
  private static JsonObject reloadAsSighupDoes(Node node) throws Exception {
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    Thread sighup = new Thread(() -> node.reload().onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result());
      } else {
        answer.completeExceptionally(ar.cause());
      }
    }), "SIGHUP handler");
    sighup.start();
    sighup.join(30_000);
    return answer.get(60, TimeUnit.SECONDS);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
