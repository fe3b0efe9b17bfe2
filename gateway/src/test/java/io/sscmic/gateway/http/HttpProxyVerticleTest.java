package io.sscmic.gateway.http;

import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.node.Node;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * HTTP mode end to end on loopback: a client sidecar's HTTP listener, two server sidecars for the
 * service "web", each in front of a real Vert.x HTTP backend, and real clients (JDK, Vert.x, curl).
 */
class HttpProxyVerticleTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  private Vertx vertx;
  private Vertx serverOneVertx;
  private Node serverOne;
  private Node serverTwo;
  private Node client;
  private PrometheusMeterRegistry registry;
  /**
   * Vert.x clients live in fields: Vert.x closes an HttpClient no longer referenced, and a local
   * one can become unreachable while its request is still connecting (the request then never ends).
   */
  private io.vertx.core.http.HttpClient vertxHttp;
  private io.vertx.core.http.HttpClient pooledHttp;
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void setUp() throws Exception {
    vertx = TestVertx.create();
    vertxHttp = vertx.createHttpClient();
    // Server one lives in its own Vert.x so a test can kill it outright.
    serverOneVertx = TestVertx.create();
    HttpServer b1 = HttpMesh.backend(serverOneVertx, "b1");
    HttpServer b2 = HttpMesh.backend(vertx, "b2");
    serverOne = HttpMesh.server(serverOneVertx, "s1", genesis, INTERVAL, "web", b1.actualPort());
    serverTwo = HttpMesh.server(vertx, "s2", genesis, INTERVAL, "web", b2.actualPort());
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/slow", "web", Duration.ofMillis(500)), new HttpRoute(null, "/ghost", "ghost", null),
            new HttpRoute("web.example", "/", "web", null), new HttpRoute("127.0.0.1", "/", "web", null)),
        Map.of("web", List.of(loopback(serverOne.tunnelPort()), loopback(serverTwo.tunnelPort())),
            "ghost", List.of(loopback(1))),
        Duration.ofSeconds(30), 16, true);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http, registry);
  }

  @AfterEach
  void tearDown() throws Exception {
    await(Future.join(vertx.close(), serverOneVertx.close()));
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + client.httpPort() + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return jdk.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A response as the Vert.x client sees it: status, the sidecar header, body. */
  private record Answer(int status, String producedBy, String body) {
  }

  /** A GET with headers the JDK client will not send (Host, Connection). */
  private Answer vget(String path, String... headers) throws Exception {
    var http = vertxHttp;
    return await(http.request(HttpMethod.GET, client.httpPort(), "127.0.0.1", path).compose(req -> {
      for (int i = 0; i < headers.length; i += 2) {
        req.putHeader(headers[i], headers[i + 1]);
      }
      return req.send();
    }).compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), resp.getHeader(HttpProxyVerticle.PRODUCED_BY),
        b.toString()))));
  }

  /** Full duplex, as the Vert.x client is: the echo streams back while the upload is still going. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 16 * 1024, 1 << 20, 100 << 20})
  void uploadsComeBackByteExactThroughTheTunnel(int size) throws Exception {
    byte[] body = new byte[size];
    new Random(size).nextBytes(body);
    var http = vertxHttp;
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    long[] count = {0};
    String[] via = {null};
    int status = await(http.request(HttpMethod.POST, client.httpPort(), "127.0.0.1", "/echo")
        .compose(req -> req.send(io.vertx.core.buffer.Buffer.buffer(body)))
        .compose(resp -> {
          via[0] = resp.getHeader("via");
          resp.handler(b -> {
            got.update(b.getBytes());
            count[0] += b.length();
          });
          return resp.end().map(v -> resp.statusCode());
        }));
    assertEquals(200, status);
    assertEquals(size, count[0]);
    assertEquals(HttpMesh.sha256(body), HexFormat.of().formatHex(got.digest()), "echoed body of " + size + " bytes");
    assertTrue(via[0] != null && via[0].contains("sscmic-client"), via[0]);
  }

  @Test
  void aChunkedUploadOfUnknownLengthAndA100MiBDownloadArriveIntact() throws Exception {
    long size = 20L << 20;
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    InputStream generated = new InputStream() {
      long pos;

      @Override
      public int read() {
        if (pos >= size) {
          return -1;
        }
        byte b = HttpMesh.byteAt(pos++);
        sent.update(b);
        return b & 0xFF;
      }

      @Override
      public int read(byte[] buf, int off, int len) {
        if (pos >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - pos);
        for (int i = 0; i < n; i++) {
          buf[off + i] = HttpMesh.byteAt(pos + i);
        }
        sent.update(buf, off, n);
        pos += n;
        return n;
      }
    };
    // ofInputStream has no length: the JDK client sends it chunked.
    HttpResponse<InputStream> up = jdk.send(HttpRequest.newBuilder(url("/echo"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> generated)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, up.statusCode());
    assertEquals(HexFormat.of().formatHex(digest(up.body(), null)), HexFormat.of().formatHex(sent.digest()));

    long big = 100L << 20;
    HttpResponse<InputStream> down = jdk.send(HttpRequest.newBuilder(url("/bytes?n=" + big)).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
    long[] count = {0};
    byte[] got = digest(down.body(), count);
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[65536];
    for (long pos = 0; pos < big; pos += buf.length) {
      int n = (int) Math.min(buf.length, big - pos);
      for (int i = 0; i < n; i++) {
        buf[i] = HttpMesh.byteAt(pos + i);
      }
      expected.update(buf, 0, n);
    }
    assertEquals(big, count[0]);
    assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(got));
  }

  private static byte[] digest(InputStream in, long[] count) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[65536];
    try (in) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        d.update(buf, 0, n);
        if (count != null) {
          count[0] += n;
        }
      }
    }
    return d.digest();
  }

  @Test
  void hopByHopHeadersStayBehindAndForwardingHeadersAreAdded() throws Exception {
    Answer r = vget("/headers", "host", "web.example", "x-private-hop", "1", "connection", "keep-alive, x-private-hop",
        "x-forwarded-for", "10.9.9.9");
    assertEquals(200, r.status());
    String seen = r.body();
    assertFalse(seen.contains("x-private-hop"), seen);
    assertTrue(seen.contains("via: 1.1 sscmic-client"), seen);
    assertTrue(seen.contains("x-forwarded-for: 10.9.9.9, 127.0.0.1"), seen);
    assertTrue(seen.contains("x-forwarded-proto: http"), seen);
    assertTrue(seen.contains("host: web.example"), seen);
  }

  @Test
  void hundredConcurrentKeepAliveClientsShareAFewPooledTunnelStreams() throws Exception {
    pooledHttp = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(100));
    var http = pooledHttp;
    List<Future<String>> all = new ArrayList<>();
    for (int c = 0; c < 100; c++) {
      for (int i = 0; i < 5; i++) {
        all.add(http.request(HttpMethod.GET, client.httpPort(), "127.0.0.1", "/hello/" + c + "/" + i)
            .compose(req -> req.putHeader("host", "web.example").send())
            .compose(resp -> resp.statusCode() == 200 ? resp.body().map(b -> b.toString())
                : Future.failedFuture("status " + resp.statusCode())));
      }
    }
    await(Future.all(all));
    int b1 = 0;
    for (Future<String> f : all) {
      b1 += f.result().startsWith("hello from b1") ? 1 : 0;
    }
    assertTrue(b1 > 50 && b1 < 450, "both peers served (b1 took " + b1 + " of 500)");
    double streams = client.metrics().streamsOpened(TunnelMetrics.Side.OUTBOUND);
    assertTrue(streams <= 2 * 16, "500 requests over at most 16 pooled tunnel streams per peer, used " + streams);
  }

  @Test
  void eachErrorSaysWhatAndWhichSidecar() throws Exception {
    Answer noRoute = vget("/nothing-here", "host", "unknown.example");
    assertEquals(404, noRoute.status());
    assertEquals("client", noRoute.producedBy());
    assertTrue(noRoute.body().startsWith("no route for host 'unknown.example' and path '/nothing-here'"),
        noRoute.body());

    HttpResponse<String> timeout = get("/slow?ms=3000");
    assertEquals(504, timeout.statusCode(), timeout.body());
    assertTrue(timeout.body().contains("did not answer within 500 ms"), timeout.body());
    assertEquals("client", timeout.headers().firstValue(HttpProxyVerticle.PRODUCED_BY).orElse(null));

    // The only peer of "ghost" refuses connections: 502 until it is ejected, then 503.
    HttpResponse<String> refused = get("/ghost");
    assertEquals(502, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("for service 'ghost' failed"), refused.body());
    HttpResponse<String> second = get("/ghost");
    HttpResponse<String> ejected = get("/ghost");
    assertEquals(503, ejected.statusCode(), second.body() + " / " + ejected.body());
    assertTrue(ejected.body().startsWith("no healthy peer for service 'ghost'"), ejected.body());
    assertTrue(registry.scrape().contains("sscmic_http_peer_ejections_total{node=\"client\",service=\"ghost\"}"));
    String scrape = registry.scrape();
    assertTrue(scrape.contains("sscmic_http_requests_total{node=\"client\",outcome=\"timeout\",route=\"*/slow\",service=\"web\"} 1.0"),
        scrape);
  }

  /**
   * Every load generator ends a run by closing connections with requests in flight. Those requests
   * to the peers are reset on the clients' behalf, which is no failure of the peers: before this
   * test both peers were ejected for it and the next users got 503 "no healthy peer" for seconds.
   */
  @Test
  void clientsThatLeaveMidRequestDoNotGetThePeersEjected() throws Exception {
    List<java.net.Socket> leaving = new ArrayList<>();
    int arrived = HttpMesh.SLOW_ARRIVED.get();
    for (int i = 0; i < 12; i++) {
      java.net.Socket s = new java.net.Socket("127.0.0.1", client.httpPort());
      s.getOutputStream().write(("GET /slow?ms=400 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      leaving.add(s);
    }
    String gone = "sscmic_http_requests_total{node=\"client\",outcome=\"client_gone\",route=\"*/slow\",service=\"web\"} 12.0";
    // Every request is at a backend (which answers only after 400 ms) before its client leaves.
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (HttpMesh.SLOW_ARRIVED.get() - arrived < 12 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    for (java.net.Socket s : leaving) {
      s.close();
    }
    until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!registry.scrape().contains(gone) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    String scrape = registry.scrape();
    assertTrue(scrape.contains(gone), "each departure counted as client_gone: " + scrape);
    assertFalse(scrape.contains("sscmic_http_peer_ejections_total{node=\"client\",service=\"web\"}"), scrape);
    HttpResponse<String> next = get("/hello/next");
    assertEquals(200, next.statusCode(), "the next user is served: " + next.body());
  }

  @Test
  void whenOnePeerDiesRequestsKeepSucceedingThroughTheOther() throws Exception {
    int ok = 0;
    for (int i = 0; i < 200; i++) {
      if (i == 50) {
        await(serverOneVertx.close());
      }
      HttpResponse<String> r = get("/hello/" + i);
      assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
      ok++;
    }
    assertEquals(200, ok);
    HttpResponse<String> after = get("/hello/after");
    assertTrue(after.body().startsWith("hello from b2"), after.body());
  }

  @Test
  void theAccessLogHasOneLinePerRequestWithoutQueryOrBody() throws Exception {
    java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        lines.add(r.getMessage());
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    java.util.logging.Logger access = java.util.logging.Logger.getLogger("io.sscmic.gateway.http.access");
    access.addHandler(h);
    try {
      assertEquals(200, get("/hello/logged?token=secret-value").statusCode());
      // The line is written once the response has gone out, which may be just after the client has it.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (lines.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(100);
    } finally {
      access.removeHandler(h);
    }
    assertEquals(1, lines.size(), lines.toString());
    String line = lines.get(0);
    assertTrue(line.matches("client 127\\.0\\.0\\.1 GET 127\\.0\\.0\\.1:\\d+ /hello/logged 200 service=web peer=web@127\\.0\\.0\\.1:\\d+ ms=\\d+"),
        line);
    assertFalse(line.contains("secret-value"), "no query string in the access log");
  }

  @Test
  void aWebSocketEchoPassesThrough() throws Exception {
    var ws = vertx.createWebSocketClient();
    var socket = await(ws.connect(client.httpPort(), "127.0.0.1", "/ws"));
    io.vertx.core.Promise<String> echoed = io.vertx.core.Promise.promise();
    socket.textMessageHandler(echoed::tryComplete);
    await(socket.writeTextMessage("hello over a websocket through the tunnel"));
    assertEquals("hello over a websocket through the tunnel", await(echoed.future()));
    io.vertx.core.Promise<io.vertx.core.buffer.Buffer> binary = io.vertx.core.Promise.promise();
    socket.binaryMessageHandler(binary::tryComplete);
    byte[] big = new byte[200_000];
    new Random(5).nextBytes(big);
    await(socket.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(big)));
    assertEquals(HttpMesh.sha256(big), HttpMesh.sha256(await(binary.future()).getBytes()));
    await(socket.close());
  }

  @Test
  void drainingTheNodeClosesItsHttpListenerToo() throws Exception {
    assertEquals(200, get("/hello/before").statusCode());
    io.vertx.core.json.JsonObject answer = await(vertx.eventBus().<io.vertx.core.json.JsonObject>request(
        io.sscmic.admin.AdminAddresses.action("client", "drain"), new io.vertx.core.json.JsonObject())).body();
    assertTrue(answer.getBoolean("ok"), answer.encode());
    int port = client.httpPort();
    long deadline = System.nanoTime() + 10_000_000_000L;
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        Thread.sleep(50);
      } catch (java.net.ConnectException e) {
        refused = true;
      } catch (java.net.SocketException e) {
        // A connection the kernel queued as the listener closed is reset, not refused: not accepted either.
        refused = e.getMessage() != null && e.getMessage().contains("reset");
      }
    }
    assertTrue(refused, "new connections to the HTTP listener are refused once the node drains");
  }

  @Test
  void curlUsesItAsHttpProxyAndThroughConnect() throws Exception {
    String proxy = "http://127.0.0.1:" + client.httpPort();
    Process p = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-x", proxy, "http://web/via-proxy")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.startsWith("hello from b") && out.contains("/via-proxy"), out);

    Process tunnel = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-p", "-x", proxy, "http://web:80/via-connect")
        .redirectErrorStream(true).start();
    String viaConnect = new String(tunnel.getInputStream().readAllBytes());
    assertEquals(0, tunnel.waitFor(), viaConnect);
    assertTrue(viaConnect.startsWith("hello from b") && viaConnect.contains("/via-connect"), viaConnect);
  }
}
