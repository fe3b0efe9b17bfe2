package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.tunnel.PeerMetrics;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-peer figures ({@code sscmic_peer_*} and the peers of {@code /status}) from a real sidecar
 * pair on loopback, read back through each node's {@code /metrics} as Prometheus text, parsed.
 */
class PeerMetricsTest {
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private static final SocketAddress ANY = SocketAddress.inetSocketAddress(0, "127.0.0.1");
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Node beta;
  private Node alpha;
  private int deadPort;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    NetServer echo = Backends.echo(vertx);
    Instant genesis = Instant.now().minusSeconds(3600);
    beta = TestMesh.start(vertx, TestMesh.server("beta", genesis, INTERVAL, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))).withAdmin(x -> x.withListen(ANY).withPasswordHash(AdminCredentials.HASH)));
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort(); // nothing listens there once closed: an unreachable peer
    }
    NodeConfig a = TestMesh.client("alpha", genesis, INTERVAL, TestMesh.SEED, "echo", beta.tunnelPort())
        .withAdmin(x -> x.withListen(ANY).withPasswordHash(AdminCredentials.HASH));
    List<OutboundRoute> routes = new ArrayList<>(a.outbound());
    routes.add(new OutboundRoute(ANY, "gone", SocketAddress.inetSocketAddress(deadPort, "127.0.0.1")));
    alpha = TestMesh.start(vertx, a.withRoutes(a.services(), routes));
  }

  @Test
  void aSidecarPairCountsBytesStreamsAndFailuresPerPeer() throws Exception {
    // A stranger's garbage reaches beta's tunnel before any peer did: refused, and it gets no label.
    try (Socket s = new Socket("127.0.0.1", beta.tunnelPort())) {
      s.getOutputStream().write(new byte[] {0, 0, 1, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0});
      Clients.readUntilClosed(s.getInputStream());
    }
    TestWait.until(() -> beta.metrics().failures() >= 1, "the garbage refused");
    assertEquals(List.of(), beta.metrics().peers().all(), "an unauthenticated connection creates no peer label");

    long total = 0;
    for (int i = 0; i < 3; i++) {
      byte[] payload = Clients.random(50_000 + i, i);
      total += payload.length;
      assertArrayEquals(payload, Clients.exchange(alpha.outboundPort("echo"), payload));
    }
    for (int i = 0; i < 2; i++) {
      Clients.refusedExchange(alpha.outboundPort("gone"), new byte[] {1, 2, 3});
    }
    String betaPeer = "127.0.0.1:" + beta.tunnelPort();
    String deadPeer = "127.0.0.1:" + deadPort;
    TestWait.until(() -> alpha.metrics().peers().all().stream().allMatch(p -> p.connections() == 0)
        && beta.metrics().peers().all().stream().allMatch(p -> p.connections() == 0), "streams closed");

    Map<String, Double> a = scrape(alpha);
    assertEquals(total, a.get(series("sscmic_peer_bytes_total", "alpha", betaPeer, "direction", "sent")));
    assertEquals(total, a.get(series("sscmic_peer_bytes_total", "alpha", betaPeer, "direction", "received")));
    assertEquals(3.0, a.get(series("sscmic_peer_connections_opened_total", "alpha", betaPeer, null, null)));
    assertEquals(0.0, a.get(series("sscmic_peer_connections", "alpha", betaPeer, null, null)));
    assertEquals(2.0, a.get(series("sscmic_peer_failures_total", "alpha", deadPeer, "reason",
        FailureReason.PEER_UNREACHABLE.label())), "a dead peer sidecar is peer_unreachable, not backend_unavailable");
    assertEquals(null, a.get(series("sscmic_peer_failures_total", "alpha", betaPeer, "reason", "truncated")),
        "no failure series for a peer that never failed");
    // beta labels its inbound peer by the source host of the verified hello.
    Map<String, Double> b = scrape(beta);
    assertEquals(total, b.get(series("sscmic_peer_bytes_total", "beta", "127.0.0.1", "direction", "received")));
    assertEquals(total, b.get(series("sscmic_peer_bytes_total", "beta", "127.0.0.1", "direction", "sent")));
    assertEquals(3.0, b.get(series("sscmic_peer_connections_opened_total", "beta", "127.0.0.1", null, null)));

    // Garbage from the same address after those good streams: counted as a refusal on beta, but
    // it proves nothing about the member at that address, whose row stays healthy (it used to
    // turn "failing" on the dashboard).
    double refusedBefore = beta.metrics().failures();
    try (Socket s = new Socket("127.0.0.1", beta.tunnelPort())) {
      s.getOutputStream().write(new byte[] {0, 0, 1, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0});
      Clients.readUntilClosed(s.getInputStream());
    }
    TestWait.until(() -> beta.metrics().failures() > refusedBefore, "the second garbage refused");
    JsonObject member = new JsonObject(get(beta.adminPort(), "/status")).getJsonArray("peers").stream()
        .map(JsonObject.class::cast).filter(p -> p.getString("peer").equals("127.0.0.1")).findFirst().orElseThrow();
    assertEquals("healthy", member.getString("health"), "garbage from a member's address: " + member);
    assertEquals(0L, member.getLong("failures"), "not the member's failure: " + member);
    assertTrue(scrape(beta).keySet().stream().noneMatch(k -> k.startsWith("sscmic_peer_failures_total")),
        "no per-peer failure series for an unauthenticated connection");

    // The same figures in /status, for the dashboard's peers table.
    JsonArray peers = new JsonObject(get(alpha.adminPort(), "/status")).getJsonArray("peers");
    Map<String, JsonObject> byPeer = new LinkedHashMap<>();
    peers.forEach(p -> byPeer.put(((JsonObject) p).getString("peer"), (JsonObject) p));
    assertEquals(Set.of(betaPeer, deadPeer), byPeer.keySet());
    assertEquals("healthy", byPeer.get(betaPeer).getString("health"));
    assertEquals(total, byPeer.get(betaPeer).getLong("bytesSent"));
    assertEquals(3L, byPeer.get(betaPeer).getLong("connectionsOpened"));
    assertEquals("failing", byPeer.get(deadPeer).getString("health"));
    assertEquals(2L, byPeer.get(deadPeer).getLong("failures"));
    assertEquals("peer_unreachable", byPeer.get(deadPeer).getJsonArray("recentFailures")
        .getJsonObject(0).getString("reason"));
    assertEquals(List.of(), byPeer.get(betaPeer).getJsonArray("recentFailures").getList());
  }

  @Test
  void peerLabelsAreCappedWithTheRestFoldedIntoOther() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PeerMetrics peers = new TunnelMetrics(registry, "n").peers();
    for (int i = 0; i < 3 * PeerMetrics.MAX_PEERS; i++) {
      peers.configured("10.0." + (i / 250) + "." + (i % 250) + ":7443");
    }
    Set<String> labels = new HashSet<>();
    registry.find("sscmic.peer.bytes").counters().forEach(c -> labels.add(c.getId().getTag("peer")));
    assertEquals(PeerMetrics.MAX_PEERS, labels.size(), "labels stay bounded");
    assertTrue(labels.contains(PeerMetrics.OTHER));
    assertEquals(PeerMetrics.OTHER, peers.configured("192.0.2.1:7443").label(), "a late peer is folded");
    assertEquals("10.0.0.0:7443", peers.configured("10.0.0.0:7443").label(), "an early peer keeps its label");
  }

  private String get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", AdminCredentials.basic()) // /status needs it; /metrics ignores it
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String series(String name, String node, String peer, String label, String value) {
    Map<String, String> labels = new java.util.TreeMap<>();
    labels.put("node", node);
    labels.put("peer", peer);
    if (label != null) {
      labels.put(label, value);
    }
    return name + labels;
  }

  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** The node's /metrics in Prometheus text format, parsed: "name{label=value, ...}" (sorted) to value. */
  private Map<String, Double> scrape(Node n) throws Exception {
    String text = get(n.adminPort(), "/metrics");
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "a sample line: " + line);
      Map<String, String> labels = new java.util.TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.put(m.group(1) + labels, Double.parseDouble(m.group(3)));
    }
    return samples;
  }
}
