package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.node.Node;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Destinations from the registry ({@code intercept.registry}) on a real transparent listener and in
 * the node's interception verticle, with a resolver the test changes as a registry would.
 */
class RegistryInterceptTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private static final Instant GENESIS = Instant.now().minusSeconds(600);
  private static final Duration INTERVAL = Duration.ofSeconds(30);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final InterceptMetrics metrics = new InterceptMetrics(registry, "a");

  private static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  private static InterceptConfig config(List<InterceptConfig.RegistryCapture> captures, boolean manage) {
    return new InterceptConfig(loopback(0), manage, 0x5353, 153, null, Duration.ofSeconds(5), Set.of(), List.of(),
        List.of()).withRegistry(captures);
  }

  /** Polls {@code done} until it holds, up to 30 s: what is awaited is a blocking nft call on a worker. */
  private static void eventually(BooleanSupplier done, Object what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "not within 30 s: " + what);
      Thread.sleep(20);
    }
  }

  /**
   * A connection whose original destination is a peer address the registry gives for the service,
   * at the service's port, goes to that service; once the registry drops that peer, the same
   * destination is unmapped and reset (never carried to a service that is not there any more).
   */
  @Test
  void aConnectionToAServicePeersAddressIsCarriedToTheServiceAndNoLongerOnceThePeerLeaves() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "IP_TRANSPARENT needs CAP_NET_ADMIN (root)");
    AtomicReference<DestinationMap> map = new AtomicReference<>((address, port) -> java.util.Optional.empty());
    List<String> carried = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Stands for the tunnel path: answers once it has read the request (closing with unread bytes
    // would reset the connection).
    Consumer<NetSocket> echo = socket -> {
      carried.add(socket.localAddress().toString());
      socket.handler(request -> socket.write("carried to echo\n").onComplete(x -> socket.close()));
      socket.resume();
    };
    InterceptConfig c = config(List.of(), false);
    InterceptListener listener = new InterceptListener(vertx.get(), "a", c, (address, port) -> map.get().route(address,
        port), Map.of("echo", echo), metrics);
    int port = TestMesh.await(listener.listen());
    // The registry has echo's peer on this host (127.0.0.1); applications dial echo at `port`.
    StaticPeerResolver resolver = new StaticPeerResolver(Map.of("echo", List.of(new Endpoint("127.0.0.1", 7443, "b"))));
    RegistryDestinations fromRegistry = new RegistryDestinations("a",
        List.of(new InterceptConfig.RegistryCapture("echo", port)), set -> { });
    fromRegistry.start(resolver);
    map.set(fromRegistry);
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("carried to echo\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
    }
    assertEquals(1, carried.size(), carried.toString());
    resolver.update("echo", List.of(new Endpoint("10.9.9.9", 7443, "c")));
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      InputStream in = s.getInputStream();
      // What the application sees: a reset (on its write or its read: the listener resets the
      // connection as it accepts it), not an answer from a peer that left.
      assertThrows(SocketException.class, () -> {
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        if (in.read() < 0) {
          throw new SocketException("closed without a reset");
        }
      });
    }
    assertEquals(1, carried.size(), "the second connection was not carried");
    assertEquals(1.0, metrics.connections(Protocol.TCP, InterceptMetrics.Outcome.UNMAPPED));
    TestMesh.await(listener.close(Duration.ofSeconds(1)));
  }

  /**
   * The node's verticle writes the registry's destinations into the kernel's set after it installed
   * the table (never before: the set would not exist), and rewrites the set as the registry changes.
   */
  @Test
  void theVerticleFillsTheKernelSetAfterInstallingTheRulesAndFollowsTheRegistry() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "IP_TRANSPARENT needs CAP_NET_ADMIN (root)");
    Node a = TestMesh.start(vertx.get(), TestMesh.client("a", GENESIS, INTERVAL, TestMesh.SEED, "echo", 1));
    RuleInstallerTest.FakeKernel kernel = new RuleInstallerTest.FakeKernel();
    List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
    StaticPeerResolver resolver = new StaticPeerResolver(Map.of(
        "redis", List.of(new Endpoint("10.0.0.5", 7443, "b"), new Endpoint("10.0.0.6", 7443, "c"))));
    InterceptVerticle v = new InterceptVerticle("a", config(List.of(new InterceptConfig.RegistryCapture("redis", 6379)),
        true), a.config().tunnelOptions(), a.schedule(), a.metrics(), new SecureRandom(), metrics,
        new RuleInstaller(kernel, said::add)).fromRegistry(resolver);
    String id = TestMesh.await(vertx.get().deployVerticle(v));
    eventually(() -> kernel.scripts.size() >= 2, kernel.scripts);
    assertTrue(kernel.scripts.get(0).contains("set registry_destinations {"), "first the table with its set");
    assertEquals("flush set inet sscmic registry_destinations\n"
        + "add element inet sscmic registry_destinations { 10.0.0.5 . 6379, 10.0.0.6 . 6379 }\n", kernel.scripts.get(1));
    // The resolver delivers the change on the verticle's context (where it watched), as a registry does.
    resolver.update("redis", List.of(new Endpoint("10.0.0.6", 7443, "c")));
    eventually(() -> kernel.scripts.size() >= 3, kernel.scripts);
    assertEquals("flush set inet sscmic registry_destinations\n"
        + "add element inet sscmic registry_destinations { 10.0.0.6 . 6379 }\n", kernel.scripts.get(2));
    assertTrue(said.contains("set registry_destinations holds 1 destination(s) from the registry"), said.toString());
    TestMesh.await(vertx.get().undeploy(id));
    assertTrue(!kernel.table, "the node removed its table at stop");
    List<String> after = new ArrayList<>(kernel.scripts);
    resolver.update("redis", List.of());
    assertEquals(after, kernel.scripts, "a stopped node no longer follows the registry");
  }
}
