package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Expect: 100-continue} through HTTP mode: the listener answers 100 itself once it holds a
 * stream to a peer, so a client that waits for the 100 before its body gets it, and a backend
 * that never sends one (as this Vert.x backend, on Vert.x's defaults) stalls no upload. Real
 * clients: a raw socket that sends its body only after the 100, curl, and the JDK's HttpClient.
 */
class HttpExpectContinueTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node client;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    Node server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "web", HttpMesh.backend(vertx, "b").actualPort());
    client = HttpMesh.client(vertx, "client", genesis, INTERVAL, new HttpModeConfig(loopback(0),
        List.of(new HttpRoute("stall.example", "/", "web", Duration.ofSeconds(1)), new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 4, false),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** Reads up to the end of one response head (or interim response), failing after 20 s of silence. */
  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (!out.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection ended after: " + out.toString(StandardCharsets.ISO_8859_1));
      }
      out.write(b);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static void write(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  @Test
  void theHundredArrivesBeforeTheBodyIsSent() throws Exception {
    String body = "a body sent only after the 100";
    try (Socket s = new Socket("127.0.0.1", client.httpPort())) {
      s.setSoTimeout(20_000);
      write(s, "PUT /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: " + body.length()
          + "\r\nexpect: 100-continue\r\n\r\n");
      String interim = head(s.getInputStream());
      assertTrue(interim.startsWith("HTTP/1.1 100 "), "the sidecar says continue before any body byte: " + interim);
      write(s, body);
      String response = head(s.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 200 "), response);
      // The echo comes back chunked: one chunk holds the whole short body.
      String rest = new String(s.getInputStream().readNBytes(body.length() + 10), StandardCharsets.ISO_8859_1);
      assertTrue(rest.contains(body), "the body reached the backend and came back: " + rest);
    }
  }

  @Test
  void theExpectationStopsAtTheSidecar() throws Exception {
    try (Socket s = new Socket("127.0.0.1", client.httpPort())) {
      s.setSoTimeout(20_000);
      write(s, "PUT /headers HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\nexpect: 100-continue\r\n"
          + "connection: close\r\n\r\n");
      assertTrue(head(s.getInputStream()).startsWith("HTTP/1.1 100 "));
      write(s, "ok");
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      assertTrue(answer.contains("content-length: 2"), answer);
      assertFalse(answer.contains("expect:"), "the backend is not asked to send a 100 of its own: " + answer);
    }
  }

  @Test
  void curlGetsTheHundredAndUploadsWithoutWaiting(@TempDir Path dir) throws Exception {
    byte[] data = new byte[10 << 20];
    new Random(16).nextBytes(data);
    Path file = dir.resolve("upload.bin");
    Path echoed = dir.resolve("echoed.bin");
    Files.write(file, data);
    // --expect100-timeout 20: had no 100 come, curl would wait 20 s and then say so.
    Process p = new ProcessBuilder("curl", "-sS", "-v", "-m", "60", "--expect100-timeout", "20", "-T", file.toString(),
        "-H", "Expect: 100-continue", "-w", "%{stderr}time_total=%{time_total}\\n", "-o", echoed.toString(),
        "http://127.0.0.1:" + client.httpPort() + "/echo")
        .redirectErrorStream(true).start();
    String verbose = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), verbose);
    assertTrue(verbose.contains("< HTTP/1.1 100 Continue"), verbose);
    assertFalse(verbose.contains("Done waiting for 100-continue"), verbose);
    assertTrue(verbose.contains("< HTTP/1.1 200 OK"), verbose);
    assertEquals(HttpMesh.sha256(data), HttpMesh.sha256(Files.readAllBytes(echoed)), "10 MiB echoed byte-exact");
    // For the record only (a loaded machine makes times no assertion): without the 100, curl adds 1 s.
    verbose.lines().filter(l -> l.startsWith("time_total="))
        .forEach(l -> System.out.println("curl, 10 MiB PUT with Expect through HTTP mode: " + l));
    Process without = new ProcessBuilder("curl", "-sS", "-m", "60", "-T", file.toString(), "-H", "Expect:",
        "-w", "time_total=%{time_total}\\n", "-o", echoed.toString(), "http://127.0.0.1:" + client.httpPort() + "/echo")
        .redirectErrorStream(true).start();
    String plain = new String(without.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, without.waitFor(), plain);
    System.out.println("curl, 10 MiB PUT without Expect through HTTP mode: " + plain.strip());
  }

  @Test
  void javasHttpClientWithExpectContinueGetsItsAnswer() throws Exception {
    byte[] data = new byte[256 * 1024];
    new Random(17).nextBytes(data);
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    // The JDK client holds the body until a 100 (or a final answer) comes: without one it would get
    // the route timeout's 504 after 30 s.
    HttpResponse<byte[]> r = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + client.httpPort()
            + "/echo")).expectContinue(true).timeout(Duration.ofSeconds(20))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals(HttpMesh.sha256(data), HttpMesh.sha256(r.body()));
  }

  @Test
  void aClientThatNeverSendsItsBodyGetsTheRouteTimeoutAndNoSevereLog() throws Exception {
    List<LogRecord> severe = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
          severe.add(r);
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try (Socket s = new Socket("127.0.0.1", client.httpPort())) {
      s.setSoTimeout(20_000);
      write(s, "PUT /echo HTTP/1.1\r\nhost: stall.example\r\ncontent-length: 10\r\nexpect: 100-continue\r\n\r\n");
      assertTrue(head(s.getInputStream()).startsWith("HTTP/1.1 100 "));
      String answer = head(s.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 504 "), "the route's 1 s timeout answers: " + answer);
      assertTrue(answer.contains("x-sscmic-sidecar: client"), answer);
      Thread.sleep(500);
    } finally {
      root.removeHandler(capture);
    }
    assertTrue(severe.isEmpty(), "a client's stalled upload is no internal error; logged: "
        + severe.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()
            + (r.getThrown() == null ? "" : " " + r.getThrown())).toList());
  }
}
