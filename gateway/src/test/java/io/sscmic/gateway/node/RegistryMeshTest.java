package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.DiscoverySection;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Service discovery end to end (issue 17): an authority, sidecars that register what they serve,
 * and a caller configured by name ({@code outbound: [{listen, service: billing}]}, no peer), all on
 * real sockets. Replicas come and go without any reload on the caller; a killed one leaves within
 * one TTL; a caller restarted while the authority is down routes by its disk cache.
 */
class RegistryMeshTest {
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final Duration TTL = Duration.ofMillis(1500);
  private static final Duration RENEW = Duration.ofMillis(300);

  @RegisterExtension
  final TestVertx vertx = new TestVertx();
  /** Where the replica that gets killed runs: closing this Vert.x is the kill (no deregistration). */
  @RegisterExtension
  final TestVertx doomed = new TestVertx();
  @TempDir
  Path dir;

  private TestAuthority authority;

  private TestAuthority startAuthority() throws Exception {
    authority = TestAuthority.init(vertx.get(), dir, INTERVAL, true);
    authority.config = authority.config.withRegistry(new RegistrySettings(TTL, RENEW, Map.of()));
    return authority.start(vertx.get());
  }

  /** A backend that answers every connection with its name and closes. */
  private static NetServer named(Vertx vertx, String name) throws Exception {
    return TestMesh.await(vertx.createNetServer().connectHandler(s -> s.handler(b -> s.end(Buffer.buffer(name))))
        .listen(0, "127.0.0.1"));
  }

  /** A method-1 node (it holds the seed, so it starts from its own clock when the authority is down). */
  private NodeConfig enrolled(NodeConfig base) {
    return base.withKeysyn(k -> k.withSeed(authority.seed())).withAuthority(authority.settings(base.nodeId(),
        TokenSource.memory(authority.token(base.nodeId())), AuthorityRecovery.Method.EPOCH_ONLY));
  }

  private NodeConfig replica(String id, NetServer backend) {
    return enrolled(TestMesh.server(id, authority.config.genesis(), INTERVAL, new byte[32],
        Map.of("billing", SocketAddress.inetSocketAddress(backend.actualPort(), "127.0.0.1"))));
  }

  /** The caller: billing by name, no peer anywhere in its config. */
  private NodeConfig caller() {
    NodeConfig base = TestMesh.client("caller", authority.config.genesis(), INTERVAL, new byte[32], "billing", 1);
    return enrolled(base.withRoutes(Map.of(), List.of(new OutboundRoute(SocketAddress.inetSocketAddress(0,
        "127.0.0.1"), "billing", null))));
  }

  private static Node start(Vertx vertx, NodeConfig config, PrometheusMeterRegistry registry) throws Exception {
    return TestMesh.await(Node.start(vertx, config, registry));
  }

  /** One connection through the caller's outbound port: the name of the backend that answered, or "". */
  private static String call(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("hi\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (Exception e) {
      return "";
    }
  }

  private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(25);
    }
  }

  private static double endpoints(PrometheusMeterRegistry registry) {
    var g = registry.find("sscmic.resolver.endpoints").tag("service", "billing").tag("resolver", "authority").gauge();
    return g == null ? -1 : g.value();
  }

  @Test
  void aCallerByNameReachesEveryLiveReplicaAndAKilledOneLeavesWithinOneTtl() throws Exception {
    startAuthority();
    NetServer backend1 = named(doomed.get(), "billing-1");
    NetServer backend2 = named(vertx.get(), "billing-2");
    Node one = start(doomed.get(), replica("billing-1", backend1), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    PrometheusMeterRegistry callerMeters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Node caller = start(vertx.get(), caller(), callerMeters);
    int port = caller.outboundPort("billing");
    eventually(() -> call(port).equals("billing-1"), "the caller to reach billing-1 by name");

    // A second replica registers while the caller runs: it gets traffic with no reload on the caller.
    Node two = start(vertx.get(), replica("billing-2", backend2), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    eventually(() -> endpoints(callerMeters) == 2, "the caller's view to hold both replicas");
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      answered.add(call(port));
    }
    assertEquals(Set.of("billing-1", "billing-2"), answered, "round robin over both replicas");
    assertEquals(port, caller.outboundPort("billing"), "the caller's listener is the same one");
    assertEquals(0.0, caller.reloads("ok"), "no reload on the caller");

    // billing-1 is killed (its process gone, no deregistration): it leaves every view within one TTL.
    long killed = System.nanoTime();
    doomed.restart();
    eventually(() -> endpoints(callerMeters) == 1, "billing-1 to leave the caller's view");
    long tookMillis = (System.nanoTime() - killed) / 1_000_000;
    // One TTL, plus the authority's sweep (at most TTL/4) and the stream's delivery; slack for a loaded machine.
    assertTrue(tookMillis <= TTL.toMillis() + TTL.toMillis() / 4 + 1500, "left after " + tookMillis + " ms");
    System.out.println("RegistryMeshTest: killed replica left the caller's view after " + tookMillis + " ms (TTL "
        + TTL.toMillis() + " ms)");
    for (int i = 0; i < 10; i++) {
      assertEquals("billing-2", call(port), "traffic moved to the live replica");
    }
    assertEquals(1.0, authority.role.server().serviceRegistry().expiredCount(), 0.0);

    // A drained replica leaves at once (it deregisters), before any TTL.
    TestMesh.await(two.stop());
    eventually(() -> endpoints(callerMeters) == 0, "billing-2 to leave when it stops");
    assertTrue(authority.role.server().serviceRegistry().entries().isEmpty());
    assertEquals(1.0, authority.role.server().serviceRegistry().expiredCount(), 0.0, "it left, it did not lapse");
    TestMesh.await(caller.stop());
  }

  /** HTTP mode by name: {@code http.services: {billing: []}} balances over the registry's replicas, live. */
  @Test
  void anHttpCallerByNameBalancesOverTheRegisteredReplicas() throws Exception {
    startAuthority();
    io.vertx.core.http.HttpServer web1 = TestMesh.await(vertx.get().createHttpServer()
        .requestHandler(r -> r.response().end("billing-1")).listen(0, "127.0.0.1"));
    io.vertx.core.http.HttpServer web2 = TestMesh.await(vertx.get().createHttpServer()
        .requestHandler(r -> r.response().end("billing-2")).listen(0, "127.0.0.1"));
    start(vertx.get(), enrolled(TestMesh.server("billing-1", authority.config.genesis(), INTERVAL, new byte[32],
        Map.of("billing", SocketAddress.inetSocketAddress(web1.actualPort(), "127.0.0.1")))),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    io.sscmic.gateway.http.HttpModeConfig http = new io.sscmic.gateway.http.HttpModeConfig(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), List.of(new io.sscmic.gateway.http.HttpRoute(null, "/",
        "billing", null)), Map.of("billing", List.of()), Duration.ofSeconds(10), 8, false);
    Node caller = start(vertx.get(), enrolled(TestMesh.httpClient("caller", authority.config.genesis(), INTERVAL,
        new byte[32], http)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + caller.httpPort() + "/")).timeout(Duration.ofSeconds(10)).build();
    java.util.function.Supplier<String> ask = () -> {
      try {
        var resp = client.send(get, java.net.http.HttpResponse.BodyHandlers.ofString());
        return resp.statusCode() + " " + resp.body();
      } catch (Exception e) {
        return e.toString();
      }
    };
    eventually(() -> ask.get().equals("200 billing-1"), "the HTTP caller to reach billing-1 by name");

    start(vertx.get(), enrolled(TestMesh.server("billing-2", authority.config.genesis(), INTERVAL, new byte[32],
        Map.of("billing", SocketAddress.inetSocketAddress(web2.actualPort(), "127.0.0.1")))),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    Set<String> answered = new HashSet<>();
    eventually(() -> {
      answered.add(ask.get());
      // Both replicas answer: the new one gets traffic and the first one keeps its share.
      return answered.contains("200 billing-2") && answered.contains("200 billing-1");
    }, "the second replica to get HTTP traffic without a reload: " + answered);
    assertEquals(Set.of("200 billing-1", "200 billing-2"), answered);
  }

  @Test
  void aCallerRestartedWhileTheAuthorityIsDownRoutesByItsDiskCache() throws Exception {
    startAuthority();
    NetServer backend = named(vertx.get(), "billing-1");
    start(vertx.get(), replica("billing-1", backend), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    NodeConfig config = caller();
    Node caller = start(vertx.get(), config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    int port = caller.outboundPort("billing");
    eventually(() -> call(port).equals("billing-1"), "the caller to reach billing-1 by name");
    Path cache = authority.dir.resolve("state-caller").resolve(DiscoverySection.CACHE_FILE);
    eventually(() -> Files.exists(cache), "the registry cache file");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
    assertTrue(Files.readString(cache).contains("billing-1"), Files.readString(cache));

    TestMesh.await(caller.stop());
    authority.stop();

    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Node restarted = start(vertx.get(), config, meters);
    int again = restarted.outboundPort("billing");
    assertEquals("billing-1", call(again), "routed by the cached view, the authority being down");
    assertEquals(0.0, meters.find("sscmic.registry.watch.connected").gauge().value());

    // The authority comes back: the watch reopens (snapshot after its restart) and routing goes on.
    // The restarted registry is empty until billing-1 renews; the caller's view must never be
    // emptied meanwhile (the authority holds new watches for its warm-up).
    authority.start(vertx.get());
    double lowest = endpoints(meters);
    // Past the warm-up (at least 3 s: the nodes' longest retry delay) and a few renewals.
    long until = System.nanoTime() + RENEW.multipliedBy(3).toNanos() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < until) {
      lowest = Math.min(lowest, endpoints(meters));
      Thread.sleep(5);
    }
    assertEquals(1.0, lowest, "the caller's view kept billing-1 across the authority's restart");
    eventually(() -> meters.find("sscmic.registry.watch.connected").gauge().value() == 1.0,
        "the watch to reopen");
    assertTrue(meters.find("sscmic.registry.watch.reconnects").counter().count() >= 1);
    eventually(() -> endpoints(meters) == 1 && authority.role.server().serviceRegistry().size() == 1,
        "billing-1 registered again");
    assertEquals("billing-1", call(again));
    // The series as OPERATIONS.md names them, in the Prometheus text a scrape gets.
    String scrape = meters.scrape();
    for (String series : List.of("sscmic_resolver_endpoints{", "sscmic_registry_watch_connected{",
        "sscmic_registry_watch_reconnects_total{", "sscmic_registry_view_entries{")) {
      assertTrue(scrape.contains(series), series + " in\n" + scrape);
    }
    assertTrue(scrape.contains("resolver=\"authority\"") && scrape.contains("service=\"billing\""), scrape);
  }
}
