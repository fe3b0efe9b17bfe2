package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real process: {@code sscmic node} killed with SIGKILL while a stream flows through it, then
 * started again. It must recover its key state from the authority with the certificate it kept,
 * and new connections must work within seconds. Prints the measured time to recovery.
 */
class NodeProcessRestartTest {
  private static final Duration INTERVAL = Duration.ofMillis(500);
  @TempDir
  Path dir;
  private Vertx vertx;
  private TestAuthority authority;
  private Process process;

  @BeforeEach
  void setUp() throws Exception {
    vertx = TestVertx.create();
    authority = TestAuthority.init(vertx, dir.resolve("mesh"), INTERVAL, false).start(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    TestMesh.await(vertx.close());
  }

  private static boolean exchangeWorks(int port) {
    try {
      byte[] payload = Clients.random(4096, System.nanoTime());
      return java.util.Arrays.equals(payload, Clients.exchange(port, payload));
    } catch (Exception e) {
      return false;
    }
  }

  private static int readyz(int adminPort) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + adminPort + "/readyz").toURL()
          .openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(1000);
      return c.getResponseCode();
    } catch (IOException e) {
      return -1;
    }
  }

  @Test
  void aNodeKilledWithSigkillMidStreamRecoversFromTheAuthorityWithinSeconds() throws Exception {
    NetServer echo = Backends.echo(vertx);
    Node server = TestMesh.start(vertx, authority.seedless(TestMesh.server("server", authority.config.genesis(),
        INTERVAL, new byte[32], Map.of("echo", Backends.address(echo))), true));
    int outbound = NodeProcesses.freePort();
    int admin = NodeProcesses.freePort();
    Path token = dir.resolve("client.token");
    Pem.write(token, authority.token("client") + "\n", true);
    Path config = dir.resolve("client.yaml");
    Files.writeString(config, String.join("\n",
        "node: {id: client}",
        "keysyn: {genesis: \"" + authority.config.genesis() + "\", interval: " + INTERVAL.toMillis() + "ms}",
        "outbound:",
        "  - {listen: \"127.0.0.1:" + outbound + "\", service: echo, peer: \"127.0.0.1:" + server.tunnelPort() + "\"}",
        "admin: {listen: \"127.0.0.1:" + admin + "\"}",
        "authority:",
        "  url: https://127.0.0.1:" + authority.config.listen().port(),
        "  ca-file: " + authority.dir.resolve(AuthorityFiles.CA_CERT),
        "  state-dir: " + dir.resolve("client-state"),
        "  token-file: " + token,
        ""));
    Path log = dir.resolve("client.log");

    process = NodeProcesses.start(config, log);
    TestWait.until(() -> exchangeWorks(outbound), "the node process to carry traffic (log: " + log + ")");

    // A stream flows through the node when it is killed.
    AtomicLong echoed = new AtomicLong();
    Socket stream = new Socket("127.0.0.1", outbound);
    stream.setSoTimeout(20_000);
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      byte[] chunk = Clients.random(16 * 1024, 7);
      try {
        OutputStream out = stream.getOutputStream();
        for (int i = 0; i < 1_000_000; i++) {
          out.write(chunk);
        }
      } catch (IOException expected) {
        // The node died under the stream.
      }
    });
    CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
      byte[] buf = new byte[65536];
      try {
        InputStream in = stream.getInputStream();
        for (int n; (n = in.read(buf)) >= 0; ) {
          echoed.addAndGet(n);
        }
        return "end of stream";
      } catch (IOException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    });
    TestWait.until(() -> echoed.get() > 1 << 20, "a megabyte echoed through the stream");
    process.destroyForcibly();
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the process died");
    assertEquals(137, process.exitValue(), "killed by SIGKILL");
    // The application sees its connection end (reset or EOF), it is not left hanging.
    String end = reader.get(20, TimeUnit.SECONDS);
    writer.get(20, TimeUnit.SECONDS);
    stream.close();

    // The authority's operator reads the restart at INFO (it used to take it for a periodic refresh).
    LogCapture authorityLog = new LogCapture(io.sscmic.authority.AuthorityVerticle.class.getName());
    authorityLog.setLevel(java.util.logging.Level.INFO);
    long t0 = System.nanoTime();
    process = NodeProcesses.start(config, log);
    TestWait.until(() -> readyz(admin) == 200, "the restarted node to be ready");
    long ready = System.nanoTime();
    TestWait.until(() -> exchangeWorks(outbound), "new connections through the restarted node");
    long working = System.nanoTime();
    System.out.printf("SIGKILL restart: the application saw '%s' after %d MiB; the new process was ready after %d ms"
        + " and carried a new connection after %d ms (JVM start included)%n", end, echoed.get() >> 20,
        (ready - t0) / 1_000_000, (working - t0) / 1_000_000);
    assertTrue(working - t0 < TimeUnit.SECONDS.toNanos(20), "recovered within 20 s");

    assertEquals(2L, authority.role.server().outcomes().get("enroll.ok"), "the restart reused the kept certificate");
    // Server, client, restarted client; a slow run also sees periodic refreshes (authority.refresh).
    assertTrue(authority.role.server().outcomes().get("recover.ok") >= 3L, "server, client, restarted client");
    try (authorityLog) {
      assertEquals(1, authorityLog.count("node 'client' recovered its key state", "after a restart"),
          "the authority logs the node's recovery after its restart once, at INFO or above");
    }
    List<String> lines = Files.readAllLines(log);
    assertTrue(lines.stream().anyMatch(l -> l.contains("key state ready") && l.contains("from the authority")),
        String.join("\n", lines));
    byte[] payload = Clients.random(1 << 20, 8);
    assertArrayEquals(payload, Clients.exchange(outbound, payload));
  }
}
