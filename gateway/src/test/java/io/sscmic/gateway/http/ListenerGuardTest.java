package io.sscmic.gateway.http;

import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP listener's limits against local clients, with raw sockets so that every byte and its
 * timing is the test's: what a client sees is a status line from the sidecar (with
 * x-sscmic-sidecar), then the end of the connection, never a reset instead of the answer.
 */
class ListenerGuardTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node server;
  private PrometheusMeterRegistry registry;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "web", HttpMesh.backend(vertx, "b").actualPort());
  }

  private int client(ListenerLimits limits) throws Exception {
    return client(limits, null);
  }

  /** @param h2c http.h2c (null: as by default, off here where no service speaks h2c) */
  private int client(ListenerLimits limits, Boolean h2c) throws Exception {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpModeConfig http = new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 4, false).withLimits(limits)
        .withH2c(h2c);
    return HttpMesh.client(vertx, "c", genesis, INTERVAL, http, registry).httpPort();
  }

  private double hits(String limit) {
    Counter c = registry.find("sscmic.http.listener.limit.hits").tag("limit", limit).counter();
    return c == null ? 0 : c.count();
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  /** Everything the sidecar sends until it closes; a reset before the answer fails the test. */
  private static String readToEnd(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
      }
    } catch (SocketException reset) {
      if (out.size() == 0) {
        throw reset;
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** One response on a keep-alive connection (content-length bodies only). */
  private static String readResponse(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  /** A keep-alive GET that must be answered 200 by the service. */
  private static void getOk(Socket s, String path) throws IOException {
    send(s, "GET " + path + " HTTP/1.1\r\nhost: web\r\n\r\n");
    String answer = readResponse(s);
    assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
  }

  private static boolean closedByPeer(Socket s, int withinMs) throws IOException {
    s.setSoTimeout(withinMs);
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  @Test
  void headersLargerThanTheLimitAreAnswered431ByTheSidecar() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10), Duration.ofSeconds(60), 100));
    try (Socket s = new Socket("127.0.0.1", port)) {
      send(s, "GET / HTTP/1.1\r\nhost: web\r\nx-big: " + "a".repeat(9 * 1024) + "\r\n\r\n");
      String answer = readToEnd(s);
      assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
      assertTrue(answer.contains("x-sscmic-sidecar: c\r\n"), answer);
      assertTrue(answer.contains("http.max-header-size"), answer);
    }
    assertEquals(1, hits("max_header_size"));
    // Headers under the limit still pass.
    try (Socket s = new Socket("127.0.0.1", port)) {
      send(s, "GET / HTTP/1.1\r\nhost: web\r\nx-big: " + "a".repeat(7 * 1024) + "\r\n\r\n");
      assertTrue(readResponse(s).startsWith("HTTP/1.1 200 "), "headers under the limit pass");
    }
  }

  @Test
  void aRequestLineLongerThanTheLimitIsAnswered414() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 1024, Duration.ofSeconds(10), Duration.ofSeconds(60), 100));
    try (Socket s = new Socket("127.0.0.1", port)) {
      send(s, "GET /" + "p".repeat(2000) + " HTTP/1.1\r\nhost: web\r\n\r\n");
      String answer = readToEnd(s);
      assertTrue(answer.startsWith("HTTP/1.1 414 "), answer);
      assertTrue(answer.contains("x-sscmic-sidecar: c\r\n"), answer);
    }
    assertEquals(1, hits("max_initial_line_length"));
  }

  @Test
  void aClientDrippingItsHeadersIsAnswered408AfterTheHeaderTimeout() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 4096, Duration.ofMillis(500), Duration.ofSeconds(60), 100));
    try (Socket slow = new Socket("127.0.0.1", port); Socket silent = new Socket("127.0.0.1", port)) {
      long t0 = System.nanoTime();
      send(slow, "GET / HTTP/1.1\r\nhost: web\r\n");
      // One header byte every 100 ms: each keeps the connection busy, none completes the headers.
      String answer = null;
      slow.setSoTimeout(100);
      for (int i = 0; i < 50 && answer == null; i++) {
        send(slow, "x");
        try {
          int b = slow.getInputStream().read();
          answer = (char) b + readToEnd(slow);
        } catch (SocketTimeoutException more) {
          // still waiting
        }
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(answer != null && answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(answer.contains("x-sscmic-sidecar: c\r\n"), answer);
      assertTrue(ms >= 450 && ms < 3000, "answered after " + ms + " ms");
      // A connection that never sends a byte gets the same.
      assertTrue(readToEnd(silent).startsWith("HTTP/1.1 408 "));
    }
    assertEquals(2, hits("header_timeout"));
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedButABusyOneAndASlowRequestAreNot() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10), Duration.ofMillis(400), 100));
    try (Socket idle = new Socket("127.0.0.1", port); Socket busy = new Socket("127.0.0.1", port)) {
      getOk(idle, "/a");
      // Busy: a request every 150 ms for 1.5 s, and one that takes 800 ms to answer (a request in progress is not idle).
      for (int i = 0; i < 10; i++) {
        getOk(busy, "/b");
        Thread.sleep(150);
      }
      getOk(busy, "/slow?ms=800");
      assertTrue(closedByPeer(idle, 100), "the idle connection was closed by the sidecar");
    }
    assertEquals(1, hits("idle_timeout"));
  }

  /**
   * With h2c on, Vert.x shows the guard an HTTP/1.1 connection only once its first request head
   * has passed; that request is still counted as in progress (the request handler tells the
   * guard), so a slow first answer is not cut by the idle timeout, and the connection still goes
   * idle after it.
   */
  @Test
  void withH2cOnASlowFirstRequestIsNotCutAndIdleStillCloses() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10), Duration.ofMillis(400), 100), true);
    try (Socket first = new Socket("127.0.0.1", port)) {
      getOk(first, "/slow?ms=900");
      getOk(first, "/after");
      assertTrue(closedByPeer(first, 5000), "idle after its answers: closed by the sidecar");
    }
    assertEquals(1, hits("idle_timeout"));
  }

  @Test
  void overTheClientConnectionLimitANewConnectionIsAnswered503() throws Exception {
    int port = client(new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10), Duration.ofSeconds(60), 2));
    try (Socket one = new Socket("127.0.0.1", port); Socket two = new Socket("127.0.0.1", port)) {
      getOk(one, "/");
      try (Socket third = new Socket("127.0.0.1", port)) {
        send(third, "GET / HTTP/1.1\r\nhost: web\r\n\r\n");
        String answer = readToEnd(third);
        assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
        assertTrue(answer.contains("x-sscmic-sidecar: c\r\n"), answer);
        assertTrue(answer.contains("http.max-client-connections"), answer);
      }
      assertEquals(1, hits("max_client_connections"));
      two.close();
      // The freed slot takes a new client (the close reaches the sidecar asynchronously).
      long deadline = System.nanoTime() + 10_000_000_000L;
      String answer = "";
      while (!answer.startsWith("HTTP/1.1 200 ") && System.nanoTime() < deadline) {
        try (Socket again = new Socket("127.0.0.1", port)) {
          send(again, "GET / HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n");
          answer = readToEnd(again);
        }
      }
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
    }
  }

  /**
   * Issue 20 item 3: the HTTP listener accepts on several event loops, and the limit is the
   * listener's, not each loop's: with 4 loops and a limit of 3, ten clients get exactly three
   * connections that serve and seven 503s (counted per loop, 4 x 3 would all have been served).
   */
  @Test
  void theClientConnectionLimitHoldsForTheListenerAcrossEventLoops() throws Exception {
    int max = 3;
    int tried = 10;
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpModeConfig http = new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 4, false)
        .withLimits(new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10), Duration.ofSeconds(60), max));
    int port = await(Node.start(vertx, io.sscmic.gateway.TestMesh.httpClient("c", genesis, INTERVAL, HttpMesh.SEED, http)
        .withTunnel(t -> t.withEventLoops(4)), registry)).httpPort();
    List<Socket> sockets = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < tried; i++) {
        sockets.add(new Socket("127.0.0.1", port));
      }
      int served = 0;
      int refused = 0;
      for (Socket s : sockets) {
        send(s, "GET / HTTP/1.1\r\nhost: web\r\n\r\n");
        String answer = readResponse(s);
        served += answer.startsWith("HTTP/1.1 200 ") ? 1 : 0;
        refused += answer.startsWith("HTTP/1.1 503 ") ? 1 : 0;
      }
      assertEquals(max, served, "connections served: the listener's limit");
      assertEquals(tried - max, refused);
      assertEquals(tried - max, hits("max_client_connections"));
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
