package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.ui.PasswordHash;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.config.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.CookieManager;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Reload config" on a node started from a YAML file on loopback: the operator edits the file and
 * presses the dashboard's button (over real HTTP, logged in, with the CSRF token). A new route
 * works, a connection open across the reload and a stream of new connections see no gap, an
 * invalid file and a change to a key fixed at start are refused and the old config keeps serving.
 */
class NodeReloadTest {
  private static final String PASSWORD = "reload test password";
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(10)).build();
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node beta;
  private Node alpha;
  private Path configFile;
  private String hash;
  private final Instant genesis = Instant.now().minusSeconds(3600);
  private int echoPort;
  private int webPort;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    NetServer echo = Backends.echo(vertx);
    NetServer web = vertx.createNetServer().connectHandler(s -> s.end(io.vertx.core.buffer.Buffer.buffer("web\n")));
    TestMesh.await(web.listen(0, "127.0.0.1"));
    beta = TestMesh.start(vertx, TestMesh.server("beta", genesis, Duration.ofSeconds(20), TestMesh.SEED,
        Map.of("echo", Backends.address(echo), "web", Backends.address(web))));
    Files.writeString(dir.resolve("seed"), HexFormat.of().formatHex(TestMesh.SEED));
    hash = PasswordHash.hash(PASSWORD.toCharArray(), new SecureRandom());
    echoPort = freePort();
    webPort = freePort();
    configFile = dir.resolve("alpha.yaml");
    write("");
    NodeConfig config = TestMesh.await(ConfigLoader.load(vertx, configFile));
    alpha = TestMesh.await(Node.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        configFile));
  }

  /** alpha's config: an outbound listener for echo, plus {@code extra} YAML lines under outbound. */
  private void write(String extraOutbound, String... otherSections) throws IOException {
    StringBuilder y = new StringBuilder()
        .append("node:\n  id: alpha\n")
        .append("keysyn:\n  genesis: \"").append(genesis).append("\"\n  interval: 20s\n  seed-file: ")
        .append(dir.resolve("seed")).append('\n')
        .append("admin:\n  listen: 127.0.0.1:0\n  password-hash: \"").append(hash).append("\"\n")
        .append("outbound:\n  - {listen: \"127.0.0.1:").append(echoPort).append("\", service: echo, peer: \"127.0.0.1:")
        .append(beta.tunnelPort()).append("\"}\n")
        .append(extraOutbound);
    for (String s : otherSections) {
      y.append(s);
    }
    Files.writeString(configFile, y.toString());
  }

  private String webRoute() {
    return "  - {listen: \"127.0.0.1:" + webPort + "\", service: web, peer: \"127.0.0.1:" + beta.tunnelPort()
        + "\"}\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private String base() {
    return "http://127.0.0.1:" + alpha.adminPort();
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String csrf() throws Exception {
    return new JsonObject(send(HttpRequest.newBuilder(URI.create(base() + "/ui/csrf"))).body()).getString("token");
  }

  private void logIn() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base() + "/ui/login"))
        .header("Content-Type", "application/json").header("X-XSRF-TOKEN", csrf())
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("password", PASSWORD).encode())));
    assertEquals(200, r.statusCode(), r.body());
  }

  /** Presses "Reload config" as the dashboard does. */
  private JsonObject reload() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base() + "/ui/api/actions/reload"))
        .header("Content-Type", "application/json").header("X-XSRF-TOKEN", csrf())
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static String webAnswer(int port) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      return new String(Clients.readUntilClosed(s.getInputStream()).toByteArray(), StandardCharsets.UTF_8);
    }
  }

  private static byte[] echoOnce(Socket s, byte[] payload) throws IOException {
    s.getOutputStream().write(payload);
    s.getOutputStream().flush();
    byte[] got = new byte[payload.length];
    InputStream in = s.getInputStream();
    for (int off = 0; off < got.length; ) {
      int n = in.read(got, off, got.length - off);
      if (n < 0) {
        throw new IOException("closed after " + off + " bytes");
      }
      off += n;
    }
    return got;
  }

  @Test
  void aNewRouteWorksAfterAReloadWithoutAGapForOpenOrNewConnections() throws Exception {
    logIn();
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", webPort).close(), "no web route yet");
    // A connection opened before the reload, used before and after it.
    try (Socket held = new Socket("127.0.0.1", echoPort)) {
      held.setSoTimeout(10_000);
      byte[] before = "opened before the reload".getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(before, echoOnce(held, before));
      // New connections one after another, all through the reload: none may fail.
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger done = new AtomicInteger();
      AtomicReference<Throwable> broken = new AtomicReference<>();
      CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
        for (int i = 0; !stop.get() && broken.get() == null; i++) {
          byte[] payload = Clients.random(2_000, i);
          try {
            assertArrayEquals(payload, Clients.exchange(echoPort, payload), "exchange " + i);
            done.incrementAndGet();
          } catch (Throwable e) {
            broken.set(e);
          }
        }
      });
      TestWait.until(() -> done.get() >= 20, "connections flowing before the reload");

      write(webRoute());
      JsonObject answer = reload();
      assertEquals(true, answer.getBoolean("ok"), answer.encode());
      assertTrue(answer.getString("message").startsWith("reloaded "), answer.encode());
      assertTrue(answer.getString("message").contains("web at 127.0.0.1:" + beta.tunnelPort()), answer.encode());

      int atReload = done.get();
      TestWait.until(() -> done.get() >= atReload + 20 || broken.get() != null, "connections after the reload");
      stop.set(true);
      load.get(30, TimeUnit.SECONDS);
      assertEquals(null, broken.get(), "a new connection failed across the reload");

      assertEquals("web\n", webAnswer(webPort), "the new route reaches the service through the tunnel");
      byte[] after = "still open after the reload".getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(after, echoOnce(held, after), "the connection open across the reload keeps working");
    }
    assertEquals(1.0, alpha.reloads("ok"));
    JsonObject status = new JsonObject(send(HttpRequest.newBuilder(URI.create(base() + "/status"))
        .header("Authorization", AdminCredentials.basic(PASSWORD))).body());
    assertEquals(2, status.getJsonArray("routes").size(), status.encode());

    // Removing the route again closes its listener.
    write("");
    assertEquals(true, reload().getBoolean("ok"));
    TestWait.until(() -> {
      try {
        new Socket("127.0.0.1", webPort).close();
        return false;
      } catch (IOException e) {
        return true;
      }
    }, "the removed route's listener closed");
    assertArrayEquals(new byte[] {1, 2, 3}, Clients.exchange(echoPort, new byte[] {1, 2, 3}));
  }

  @Test
  void anInvalidConfigOrAFixedKeyIsRefusedAndTheOldConfigKeepsServing() throws Exception {
    logIn();
    write(webRoute(), "tunnel:\n  connect-timeout: soon\n");
    JsonObject invalid = reload();
    assertEquals(false, invalid.getBoolean("ok"));
    assertEquals("invalid", invalid.getString("outcome"));
    assertTrue(invalid.getString("message").contains("tunnel.connect-timeout")
        && invalid.getString("message").contains("nothing changed"), invalid.encode());

    write(webRoute().replace("service: web", "service: web, colour: red"));
    JsonObject unknownKey = reload();
    assertEquals("invalid", unknownKey.getString("outcome"), unknownKey.encode());

    write(webRoute(), "tunnel:\n  listen: 127.0.0.1:" + freePort() + "\n");
    JsonObject fixed = reload();
    assertEquals("refused", fixed.getString("outcome"));
    assertTrue(fixed.getString("message").contains("tunnel.listen cannot change while the node runs"),
        fixed.encode());
    Files.writeString(configFile, Files.readString(configFile).replace("id: alpha", "id: gamma")
        .replace("  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:1\n"));
    JsonObject two = reload();
    assertTrue(two.getString("message").contains("node.id, tunnel.listen, admin.listen cannot change"),
        two.encode());

    // A new listener on a port already taken: the reload fails, the old data plane keeps every connection.
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      write(webRoute() + "  - {listen: \"127.0.0.1:" + taken.getLocalPort() + "\", service: echo, peer: \"127.0.0.1:"
          + beta.tunnelPort() + "\"}\n");
      JsonObject failed = reload();
      assertEquals("failed", failed.getString("outcome"), failed.encode());
      assertTrue(failed.getString("message").contains("outbound[2].listen"), failed.encode());
    }
    for (int i = 0; i < 10; i++) {
      assertArrayEquals(new byte[] {7, (byte) i}, Clients.exchange(echoPort, new byte[] {7, (byte) i}),
          "after the failed reload, connection " + i);
    }

    // Nothing changed: the old route serves, the new one never opened.
    assertArrayEquals(new byte[] {4, 5, 6}, Clients.exchange(echoPort, new byte[] {4, 5, 6}));
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", webPort).close());
    assertEquals(2.0, alpha.reloads("invalid"));
    assertEquals(2.0, alpha.reloads("refused"));
    assertEquals(0.0, alpha.reloads("ok"));
    assertEquals(1.0, alpha.reloads("failed"));
    String metrics = send(HttpRequest.newBuilder(URI.create(base() + "/metrics"))).body();
    assertTrue(metrics.contains("sscmic_config_reloads_total{node=\"alpha\",outcome=\"invalid\"} 2.0"), metrics);
    assertTrue(metrics.contains("sscmic_config_reloads_total{node=\"alpha\",outcome=\"ok\"} 0.0"), metrics);

    // Fixed again: the reload goes through.
    write(webRoute());
    assertEquals(true, reload().getBoolean("ok"));
    assertEquals("web\n", webAnswer(webPort));
  }

  @Test
  void aStopDoesNotWaitForStreamsTheReloadLeftOnTheOldListeners() throws Exception {
    try (Socket held = new Socket("127.0.0.1", echoPort)) {
      held.setSoTimeout(10_000);
      assertArrayEquals(new byte[] {1}, echoOnce(held, new byte[] {1}));
      write(webRoute());
      assertEquals(true, TestMesh.await(alpha.reload()).getBoolean("ok"));
      assertArrayEquals(new byte[] {2}, echoOnce(held, new byte[] {2}));
      long started = System.nanoTime();
      TestMesh.await(alpha.stop());
      assertTrue(System.nanoTime() - started < 8_000_000_000L, "the stop waited for the old stream");
      // Closed (reset) by the stop: the read ends instead of running into the 10 s socket timeout.
      long reading = System.nanoTime();
      assertEquals(0, Clients.readUntilClosed(held.getInputStream()).size());
      assertTrue(System.nanoTime() - reading < 5_000_000_000L, "the old stream was closed by the stop");
    }
  }

  /** {@code sscmic node} as a process: SIGHUP reloads its config file as the dashboard action does. */
  @Test
  void sighupReloadsTheConfigOfASscmicNodeProcess() throws Exception {
    TestMesh.await(alpha.stop()); // the process takes alpha's ports and config file
    Path log = dir.resolve("alpha.log");
    Process process = NodeProcesses.start(configFile, log);
    try {
      TestWait.until(() -> canConnect(echoPort), "the node process to listen (log: " + log + ")");
      assertFalse(canConnect(webPort));
      write(webRoute());
      assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor());
      TestWait.until(() -> canConnect(webPort), "the web route after SIGHUP (log: " + log + ")");
      assertEquals("web\n", webAnswer(webPort));
      TestWait.until(() -> {
        try {
          return Files.readString(log).contains("sscmic: SIGHUP: config reload ok: reloaded ");
        } catch (IOException e) {
          return false;
        }
      }, "the outcome on stderr");
      assertTrue(process.isAlive(), "SIGHUP does not stop the node");
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static boolean canConnect(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aNodeStartedWithoutAFileRefusesToReload() throws Exception {
    Node plain = TestMesh.start(vertx, TestMesh.client("delta", genesis, Duration.ofSeconds(20), TestMesh.SEED,
        "echo", beta.tunnelPort()));
    JsonObject r = TestMesh.await(plain.reload());
    assertFalse(r.getBoolean("ok"));
    assertTrue(r.getString("message").contains("without a config file"), r.encode());
  }
}
