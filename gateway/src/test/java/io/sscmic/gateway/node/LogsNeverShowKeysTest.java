package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.cli.LogFormat;
import io.sscmic.gateway.process.Runtimes;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.Kdf;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A full run at the most verbose log level (rotations, traffic, tampering, refusals, admin
 * pages), in both log formats: no key byte may appear in the logs or on the admin port, in hex or
 * base64, whole or as a 12-byte prefix.
 */
class LogsNeverShowKeysTest {
  private static final Duration INTERVAL = Duration.ofMillis(200);

  /**
   * The password the node generated (no admin.password-hash here), read as an operator does: from
   * the owner-only file whose path the log names. The log itself never holds it.
   */
  private static String generatedPassword(String logs) throws Exception {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("dashboard password for this run is in (\\S+)")
        .matcher(logs);
    assertTrue(m.find(), "the log names the generated password's file");
    java.nio.file.Path file = java.nio.file.Path.of(m.group(1));
    assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"),
        java.nio.file.Files.getPosixFilePermissions(file), "owner-only");
    return java.nio.file.Files.readString(file).trim();
  }

  /** Logs in to the dashboard with {@code password} and returns what its status API shows. */
  private static String dashboardStatus(int port, String password) throws Exception {
    DashboardClient dashboard = new DashboardClient(port);
    HttpResponse<String> login = dashboard.login(password);
    assertEquals(200, login.statusCode(), login.body());
    HttpResponse<String> status = dashboard.get("/api/status");
    assertEquals(200, status.statusCode());
    return status.body();
  }

  @Test
  void aVerboseRunLeaksNoKeyMaterial() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    LogFormat textFormat = new LogFormat(false);
    LogFormat jsonFormat = new LogFormat(true);
    Handler capture = new Handler() {
      @Override
      public synchronized void publish(LogRecord r) {
        text.writeBytes(textFormat.format(r).getBytes());
        json.writeBytes(jsonFormat.format(r).getBytes());
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    capture.setLevel(Level.ALL);
    Logger root = Logger.getLogger("");
    Level before = root.getLevel();
    root.setLevel(Level.ALL);
    Logger.getLogger("io.sscmic").setLevel(Level.ALL);
    root.addHandler(capture);
    StringBuilder adminPages = new StringBuilder();
    String dashboardPassword;
    long firstEpoch;
    long lastEpoch;
    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      NetServer echo = Backends.echo(vertx);
      Instant genesis = Instant.now().minusSeconds(60);
      Node b = TestMesh.await(Node.start(vertx, TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
          Map.of("echo", Backends.address(echo))).withAdmin(a -> a.withListen(SocketAddress.inetSocketAddress(0, "127.0.0.1"))), registry));
      Node a = TestMesh.await(Node.start(vertx, TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "echo",
          b.tunnelPort()), registry));
      firstEpoch = b.schedule().current().epoch();
      // Traffic across several rotations.
      while (b.schedule().current().epoch() < firstEpoch + 4) {
        Clients.exchange(a.outboundPort("echo"), Clients.random(50_000, 1));
      }
      // Tampering and every kind of refused hello.
      TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
        if (type == FrameType.DATA) {
          frame[frame.length - 1] ^= 1;
        }
        up.write(Buffer.buffer(frame));
      });
      Node c = TestMesh.await(Node.start(vertx, TestMesh.client("c", genesis, INTERVAL, TestMesh.SEED, "echo",
          proxy.port()), registry));
      Clients.refusedExchange(c.outboundPort("echo"), "tampered".getBytes());
      FailureProvoker bad = new FailureProvoker(b.tunnelPort(), TestMesh.SEED, b.schedule());
      bad.auth("echo");
      bad.staleEpoch("echo");
      bad.malformed();
      bad.replay("echo");
      TestWait.until(() -> b.metrics().failures(FailureReason.AUTH) >= 2, "refusals logged");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(java.time.Duration.ofSeconds(10)).build();
      dashboardPassword = generatedPassword(text.toString());
      for (String page : List.of("/metrics", "/status", "/readyz")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.adminPort() + page))
            .header("Authorization", AdminCredentials.basic(dashboardPassword)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), page + ": " + r.body());
        adminPages.append(r.body());
      }
      adminPages.append(dashboardStatus(b.adminPort(), dashboardPassword));
      lastEpoch = b.schedule().current().epoch();
    } finally {
      TestMesh.await(vertx.close());
      root.removeHandler(capture);
      root.setLevel(before);
    }

    String logs = text + "\n" + json + "\n" + adminPages;
    for (String line : json.toString().split("\n")) {
      io.vertx.core.json.JsonObject parsed = new io.vertx.core.json.JsonObject(line);
      assertTrue(parsed.containsKey("ts") && parsed.containsKey("level") && parsed.containsKey("msg"), line);
    }
    assertTrue(text.toString().contains("refused hello"), "the run did log refusals");
    assertTrue(text.toString().contains("key state ready"), "the run did log key schedule events");
    // --log-json ships the log off the host: the generated dashboard password is not in it, in either format.
    assertFalse(text.toString().contains(dashboardPassword) || json.toString().contains(dashboardPassword),
        "the dashboard password is not in the log");

    List<byte[]> secrets = new ArrayList<>();
    secrets.add(TestMesh.SEED);
    ChainAnchor chain = ChainAnchor.genesis(TestMesh.SEED);
    for (long e = Math.max(0, firstEpoch - 3); e <= lastEpoch + 3; e++) {
      KeyState s = chain.stateAt(e);
      byte[] k = s.chainKey(KeyRole.CURRENT);
      secrets.add(k);
      secrets.add(Kdf.derive(k, "hello", 32));
      secrets.add(Kdf.derive(k, "accept", 32));
    }
    secrets.add(chain.stateAt(0).chainKey(KeyRole.CURRENT));
    int checked = 0;
    for (byte[] secret : secrets) {
      for (String encoded : encodings(secret)) {
        assertFalse(logs.contains(encoded), "key material in logs or admin pages: " + encoded.substring(0, 6) + "...");
        checked++;
      }
    }
    assertEquals(secrets.size() * 12, checked);
  }

  /** Whole key and a 12-byte prefix, each in lower and upper hex and standard and URL base64. */
  private static List<String> encodings(byte[] key) {
    List<String> out = new ArrayList<>();
    for (byte[] part : List.of(key, java.util.Arrays.copyOf(key, 12))) {
      String hex = HexFormat.of().formatHex(part);
      out.add(hex);
      out.add(hex.toUpperCase());
      out.add(Base64.getEncoder().withoutPadding().encodeToString(part));
      out.add(Base64.getUrlEncoder().withoutPadding().encodeToString(part));
      out.add(Base64.getEncoder().encodeToString(part).substring(0, 12));
      out.add(Base64.getMimeEncoder().encodeToString(part).substring(0, 12));
    }
    return out;
  }
}
