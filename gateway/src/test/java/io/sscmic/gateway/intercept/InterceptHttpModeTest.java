package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpProxyVerticle;
import io.sscmic.gateway.node.Node;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Captured HTTP in HTTP mode, with real curl on loopback: the transparent listener (a route for
 * 127.0.0.0/8, so a connection made straight to it "was dialled" to its own address, as in
 * {@link InterceptListenerTest}) hands HTTP connections to a real HTTP listener serving service
 * {@code web} on two peer sidecars, each in front of its own backend. Root: IP_TRANSPARENT.
 */
class InterceptHttpModeTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private static final Instant GENESIS = Instant.now().minusSeconds(600);
  private static final Duration INTERVAL = Duration.ofSeconds(30);
  /** The application's Host: an address, as it dialled it, which no HTTP route names. */
  private static final String DIALLED = "10.1.0.5:8080";
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final InterceptMetrics metrics = new InterceptMetrics(registry, "a");
  /** Requests at either backend's /hold: each waits until both backends have one. */
  private final List<Runnable> held = new ArrayList<>();
  private final AtomicInteger heldAt = new AtomicInteger(); // bit 1: backend one, bit 2: two
  private Node a;
  private int peerOne;
  private int peerTwo;

  @BeforeEach
  void mesh() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "IP_TRANSPARENT needs CAP_NET_ADMIN (root)");
    Vertx v = vertx.get();
    peerOne = TestMesh.start(v, TestMesh.server("b1", GENESIS, INTERVAL, TestMesh.SEED,
        Map.of("web", loopback(backend("one", 1).actualPort()), "raw", loopback(backend("raw", 0).actualPort()))))
        .tunnelPort();
    peerTwo = TestMesh.start(v, TestMesh.server("b2", GENESIS, INTERVAL, TestMesh.SEED,
        Map.of("web", loopback(backend("two", 2).actualPort())))).tunnelPort();
    // Node a gives us a key schedule in step with the peers' and the tunnel metrics.
    a = TestMesh.start(v, TestMesh.client("a", GENESIS, INTERVAL, TestMesh.SEED, "web", peerOne));
  }

  private static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  /** Answers "name" and the x-forwarded-for it saw; /hold waits for a request at the other backend too. */
  private HttpServer backend(String name, int bit) throws Exception {
    return TestMesh.await(vertx.get().createHttpServer().requestHandler(req -> {
      HttpServerResponse resp = req.response();
      String body = name + " xff=" + req.getHeader("x-forwarded-for") + "\n";
      if (!req.path().equals("/hold")) {
        resp.end(body);
        return;
      }
      Context here = Vertx.currentContext();
      List<Runnable> release;
      synchronized (held) {
        held.add(() -> here.runOnContext(x -> resp.end(body)));
        if (heldAt.accumulateAndGet(bit, (p, b) -> p | b) != 3) {
          return;
        }
        release = new ArrayList<>(held);
        held.clear();
      }
      release.forEach(Runnable::run);
    }).listen(0, "127.0.0.1"));
  }

  /** The HTTP listener serves {@code web} on both peers; interception maps everything to {@code service}. */
  private InterceptVerticle deploy(String service, boolean h2c) throws Exception {
    return deploy(service, h2c, Map.of("web", List.of(loopback(peerOne), loopback(peerTwo))));
  }

  private InterceptVerticle deploy(String service, boolean h2c, Map<String, List<SocketAddress>> httpServices)
      throws Exception {
    HttpModeConfig httpConfig = new HttpModeConfig(loopback(0), List.of(), httpServices, Duration.ofSeconds(30), 8,
        false).withH2c(h2c);
    HttpProxyVerticle http = new HttpProxyVerticle(httpConfig, new StaticPeerResolver(httpConfig.endpoints()),
        a.config().tunnelOptions(), a.schedule(), a.metrics(), new SecureRandom(), registry);
    TestMesh.await(vertx.get().deployVerticle(http));
    InterceptConfig c = new InterceptConfig(loopback(0), false, 0x5353, 153, null, Duration.ofSeconds(5), Set.of(),
        List.of(new InterceptRoute(DestinationMatch.parse("m", "127.0.0.0/8"), service, loopback(peerOne))),
        List.of());
    InterceptVerticle v = new InterceptVerticle("a", c, a.config().tunnelOptions(), a.schedule(), a.metrics(),
        new SecureRandom(), metrics, new RuleInstaller(new RuleInstallerTest.FakeKernel(), line -> { }))
        .toHttpMode(http);
    TestMesh.await(vertx.get().deployVerticle(v));
    return v;
  }

  private static String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "60"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "curl finished");
    assertEquals(0, p.exitValue(), "curl " + cmd + ": " + out);
    return out;
  }

  /**
   * Waits until HTTP mode counted {@code n} answered requests of {@code service} (it counts a
   * request when its response has ended, which the client may see a moment before), then checks
   * it is exactly {@code n}.
   */
  private void awaitHttpRequests(String service, double n) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (httpRequests(service) < n && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertEquals(n, httpRequests(service), registry.scrape());
  }

  private double httpRequests(String service) {
    // Summed over the route label (a captured request's route is the one that gave its timeout, or none).
    Matcher m = Pattern.compile("sscmic_http_requests_total\\{node=\"a\",outcome=\"2xx\",(?:route=\"[^\"]*\",)?service=\""
        + service + "\"} (\\S+)").matcher(registry.scrape());
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  @Test
  void capturedHttp1IsServedRequestByRequestInHttpModeAndCounted() throws Exception {
    InterceptVerticle v = deploy("web", false);
    String url = "http://127.0.0.1:" + v.port() + "/who";
    // Three requests on one kept-alive connection, Host naming the address dialled.
    String out = curl("--http1.1", "-i", "-H", "Host: " + DIALLED, "-w", "connects=%{num_connects}\\n", url, url,
        url);
    assertEquals(3, count(out, "HTTP/1.1 200"), out);
    assertEquals(1, count(out, "connects=1"), "one connection for the three requests: " + out);
    assertEquals(2, count(out, "connects=0"), "one connection for the three requests: " + out);
    // Each answer passed the HTTP listener: its Via, and the backend saw the forwarded-for it adds.
    assertEquals(3, count(out.toLowerCase(), "via: 1.1 sscmic-a"), out);
    assertEquals(3, count(out, " xff=127.0.0.1"), out);
    awaitHttpRequests("web", 3.0);
    assertEquals(1.0, metrics.connections(Protocol.HTTP1, InterceptMetrics.Outcome.HTTP_MODE));
    assertEquals(0.0, metrics.connections(Protocol.HTTP1, InterceptMetrics.Outcome.CARRIED));
    assertTrue(registry.scrape().contains(
        "sscmic_intercept_connections_total{node=\"a\",outcome=\"http_mode\",protocol=\"http1\"} 1.0"));
  }

  @Test
  void aCapturedRequestNamingAnotherServiceInItsHostStillGoesToItsDestinationsService() throws Exception {
    // The attack: an application captured on its way to web sets Host to another service the HTTP
    // listener serves (raw), hoping to be routed there by Host as the listener's own port would.
    InterceptVerticle v = deploy("web", false, Map.of("web", List.of(loopback(peerOne), loopback(peerTwo)),
        "raw", List.of(loopback(peerOne))));
    String out = curl("--http1.1", "-H", "Host: raw", "http://127.0.0.1:" + v.port() + "/who");
    assertTrue(out.startsWith("one xff=") || out.startsWith("two xff="), "web's backends answered: " + out);
    awaitHttpRequests("web", 1.0);
    assertEquals(0.0, httpRequests("raw"));
  }

  @Test
  void twoConcurrentRequestsOnOneCapturedH2ConnectionGoToBothPeers() throws Exception {
    InterceptVerticle v = deploy("web", true);
    // A real HTTP/2 client with prior knowledge and one connection (curl 7.88's -Z fails its second
    // h2c stream with a framing error against Vert.x's own listener as well, capture or not).
    HttpClient client = vertx.get().createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false), new PoolOptions().setHttp2MaxSize(1));
    RequestOptions hold = new RequestOptions().setServer(loopback(v.port())).setHost("10.1.0.5").setPort(8080)
        .setURI("/hold");
    // Each backend holds its request until the other has one: as one captured byte stream they
    // would both reach one peer and never be answered. In HTTP mode the balancer sends the
    // second to the peer without a request in flight (fresh peers cost the same, busy ones more).
    List<Future<String>> answers = List.of(get(client, hold), get(client, hold));
    List<String> bodies = List.of(TestMesh.await(answers.get(0)), TestMesh.await(answers.get(1)));
    assertTrue(bodies.stream().anyMatch(b -> b.startsWith("one xff="))
        && bodies.stream().anyMatch(b -> b.startsWith("two xff=")), bodies.toString());
    awaitHttpRequests("web", 2.0);
    assertEquals(1.0, metrics.connections(Protocol.HTTP2, InterceptMetrics.Outcome.HTTP_MODE),
        "both requests on one captured connection");
  }

  private static Future<String> get(HttpClient client, RequestOptions options) {
    return client.request(options).compose(req -> req.send()).compose(resp -> {
      assertEquals(HttpVersion.HTTP_2, resp.version());
      return resp.body();
    }).map(b -> b.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theH2PrefaceIsCarriedAsBytesWhenTheListenerDoesNotTakeH2c() throws Exception {
    InterceptVerticle v = deploy("web", false);
    String out = curl("--http2-prior-knowledge", "-H", "Host: " + DIALLED, "http://127.0.0.1:" + v.port() + "/who");
    // Straight to the intercept entry's peer (one) and its backend, which speaks h2c itself.
    assertEquals("one xff=null\n", out);
    assertEquals(1.0, metrics.connections(Protocol.HTTP2, InterceptMetrics.Outcome.CARRIED));
    assertEquals(0.0, httpRequests("web"));
  }

  @Test
  void httpToAServiceHttpModeDoesNotServeIsCarriedAsBytes() throws Exception {
    InterceptVerticle v = deploy("raw", false);
    String out = curl("--http1.1", "-H", "Host: " + DIALLED, "http://127.0.0.1:" + v.port() + "/who");
    // Straight to peer one's "raw" backend: no sidecar header was added on the way.
    assertEquals("raw xff=null\n", out);
    assertEquals(1.0, metrics.connections(Protocol.HTTP1, InterceptMetrics.Outcome.CARRIED));
    assertEquals(0.0, httpRequests("raw"));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
