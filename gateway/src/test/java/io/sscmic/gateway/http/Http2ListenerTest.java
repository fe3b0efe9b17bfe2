package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP listener on HTTP/2, with curl as the client: h2c with prior knowledge and by upgrade,
 * several streams multiplexed on one connection, a body both ways, to an HTTP/1.1 service and to
 * one declared {@code protocol: h2c} (whose backend reports that it was asked over HTTP/2). The
 * listener's HTTP/1 deadlines (a header timeout of 300 ms here) must not cut HTTP/2 streams.
 */
class Http2ListenerTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  @TempDir
  Path dir;
  private Node client;

  @BeforeEach
  void setUp() throws Exception {
    Vertx vertx = testVertx.get();
    Node web = HttpMesh.server(vertx, "s1", genesis, INTERVAL, "web", HttpMesh.backend(vertx, "b1").actualPort());
    // An h2c backend that says which protocol it was asked in.
    HttpServer h2 = await(vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(req -> req.body().onSuccess(b -> req.response().putHeader("x-backend-version",
            req.version().name()).end("h2 backend got " + req.method() + " " + req.uri() + " with " + b.length()
            + " bytes over " + req.version() + "\n")))
        .listen(0, "127.0.0.1"));
    Node h2web = HttpMesh.server(vertx, "s2", genesis, INTERVAL, "h2web", h2.actualPort());
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute("h2web", "/", "h2web", null), new HttpRoute(null, "/", "web", null)),
        Map.of("web", List.of(loopback(web.tunnelPort())), "h2web", List.of(loopback(h2web.tunnelPort()))),
        Duration.ofSeconds(30), 8, false)
        .withLimits(new ListenerLimits(8192, 4096, Duration.ofMillis(300), Duration.ofSeconds(60), 64))
        .withProtocols(Map.of("h2web", ServiceProtocol.H2C));
    client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http, new PrometheusMeterRegistry(
        PrometheusConfig.DEFAULT));
  }

  private String url(String path) {
    return "http://127.0.0.1:" + client.httpPort() + path;
  }

  /** Runs curl; returns its standard output, failing on a non-zero exit with its error output. */
  private String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-S", "-m", "30"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "curl " + cmd + " failed: " + err);
    return out;
  }

  @Test
  void curlWithPriorKnowledgeGetsHttp2AndTheServiceAnswer() throws Exception {
    String out = curl("--http2-prior-knowledge", "-w", "\nversion=%{http_version}", url("/hello"));
    assertTrue(out.startsWith("hello from b1 /hello"), out);
    assertTrue(out.endsWith("version=2"), "the listener spoke HTTP/2: " + out);
  }

  @Test
  void curlUpgradingFromHttp1GetsHttp2() throws Exception {
    // Longer than the header timeout: the upgraded connection is HTTP/2 and no HTTP/1 deadline applies.
    String out = curl("--http2", "-w", "\nversion=%{http_version}", url("/slow?ms=800"));
    assertTrue(out.startsWith("slow"), out);
    assertTrue(out.endsWith("version=2"), "upgraded to h2c: " + out);
  }

  @Test
  void manyStreamsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
    List<String> args = new ArrayList<>(List.of("--http2-prior-knowledge", "--parallel", "--parallel-immediate",
        "-w", "%{http_version} %{num_connects}\n"));
    for (int i = 0; i < 20; i++) {
      args.add(url("/slow?ms=" + (400 + 20 * i)));
    }
    String out = curl(args.toArray(String[]::new));
    assertEquals(20, out.split("slow").length - 1, "every stream answered: " + out);
    assertEquals(20, out.lines().filter(l -> l.startsWith("2 ")).count(), "all over HTTP/2: " + out);
  }

  @Test
  void aBodyGoesBothWaysOverHttp2() throws Exception {
    byte[] body = new byte[3 << 20];
    for (int i = 0; i < body.length; i++) {
      body[i] = HttpMesh.byteAt(i);
    }
    Path in = Files.write(dir.resolve("in"), body);
    Path out = dir.resolve("out");
    curl("--http2-prior-knowledge", "-X", "POST", "--data-binary", "@" + in, "-o", out.toString(), url("/echo"));
    assertEquals(HttpMesh.sha256(body), HttpMesh.sha256(Files.readAllBytes(out)), "byte-exact round trip");
  }

  @Test
  void aServiceDeclaredH2cIsAskedOverHttp2ThroughTheTunnel() throws Exception {
    String viaH1 = curl("-H", "Host: h2web", url("/x"));
    assertEquals("h2 backend got GET /x with 0 bytes over HTTP_2\n", viaH1, "an HTTP/1.1 client, HTTP/2 to the service");
    String viaH2 = curl("--http2-prior-knowledge", "-H", "Host: h2web", "--data-binary", "12345", url("/y"));
    assertEquals("h2 backend got POST /y with 5 bytes over HTTP_2\n", viaH2);
  }
}
