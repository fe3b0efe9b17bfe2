package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.cli.MainAccess;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.config.TunnelVersion;
import io.sscmic.gateway.mux.RefusalReason;
import io.sscmic.gateway.mux.Role;
import io.sscmic.gateway.policy.MeshPolicyView;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh policy and roster from the authority (issue 17 item 3), on a real mesh: an authority and
 * three tunnel v2 nodes on loopback (bravo serves echo; alpha and charlie call it by name), the
 * policy changed with the real {@code sscmic policy} command while everything runs. The attacks:
 * a caller the new policy denies opens a stream; a revoked node keeps its connection and dials again.
 */
class MeshPolicyTest {
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final Duration TTL = Duration.ofMillis(1500);
  private static final Duration RENEW = Duration.ofMillis(300);
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  @RegisterExtension
  final TestVertx vertx = new TestVertx();
  @TempDir
  Path dir;

  private TestAuthority authority;
  private PrometheusMeterRegistry bravoMeters;

  private record Mesh(Node bravo, Node alpha, Node charlie) {
  }

  /** A method-1 v2 node (it holds the seed, so it starts when the authority is down). */
  private NodeConfig enrolled(NodeConfig base) {
    return base.withKeysyn(k -> k.withSeed(authority.seed())).withAuthority(authority.settings(base.nodeId(),
        TokenSource.memory(authority.token(base.nodeId())), AuthorityRecovery.Method.EPOCH_ONLY))
        .withV2(v -> v.withVersion(TunnelVersion.V2));
  }

  private NodeConfig bravoConfig(NetServer echo) {
    return enrolled(TestMesh.server("bravo", authority.config.genesis(), INTERVAL, new byte[32],
        Map.of("echo", Backends.address(echo))));
  }

  /** A caller of echo by name: the registry gives it bravo's endpoint and node id, so it dials v2. */
  private NodeConfig caller(String id) {
    NodeConfig base = TestMesh.client(id, authority.config.genesis(), INTERVAL, new byte[32], "echo", 1);
    return enrolled(base.withRoutes(Map.of(), List.of(new OutboundRoute(SocketAddress.inetSocketAddress(0,
        "127.0.0.1"), "echo", null))));
  }

  private Mesh mesh() throws Exception {
    authority = TestAuthority.init(vertx.get(), dir, INTERVAL, true);
    authority.config = authority.config.withRegistry(new RegistrySettings(TTL, RENEW, Map.of()));
    authority.start(vertx.get());
    NetServer echo = Backends.echo(vertx.get());
    bravoMeters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Node bravo = TestMesh.await(Node.start(vertx.get(), bravoConfig(echo), bravoMeters));
    Node alpha = TestMesh.start(vertx.get(), caller("alpha"));
    Node charlie = TestMesh.start(vertx.get(), caller("charlie"));
    TestWait.until(() -> echoes(alpha), "alpha to reach echo on bravo by name");
    TestWait.until(() -> echoes(charlie), "charlie to reach echo on bravo by name");
    TestWait.until(() -> bravo.meshPolicy() != null && bravo.meshPolicy().version() == 0,
        "bravo to hold the authority's default policy");
    assertTrue(bravo.v2().muxMetrics().peer("charlie").opened(Role.SERVER) >= 1, "charlie's streams went as v2");
    return new Mesh(bravo, alpha, charlie);
  }

  private static boolean echoes(Node caller) {
    try {
      return Arrays.equals(HELLO, Clients.exchange(caller.outboundPort("echo"), HELLO));
    } catch (Exception e) {
      return false;
    }
  }

  /** A connection through {@code caller} that stays open: it has echoed one line. */
  private static Socket openStream(Node caller) throws Exception {
    Socket s = new Socket("127.0.0.1", caller.outboundPort("echo"));
    s.setSoTimeout(30_000);
    assertArrayEquals(HELLO, roundTrip(s, HELLO), "the stream echoes");
    return s;
  }

  private static byte[] roundTrip(Socket s, byte[] line) throws Exception {
    s.getOutputStream().write(line);
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    return in.readNBytes(line.length);
  }

  private int policy(String... args) {
    String[] full = Arrays.copyOf(new String[] {"policy"}, args.length + 3);
    System.arraycopy(args, 0, full, 1, args.length);
    full[args.length + 1] = "--config";
    full[args.length + 2] = authority.dir.resolve(AuthorityFiles.FILE).toString();
    return MainAccess.run(full);
  }

  private double handshakesRefusedAsRevoked() {
    return bravoMeters.find("sscmic.v2.handshakes").tag("role", "responder").tag("outcome", "revoked").counters()
        .stream().mapToDouble(Counter::count).sum();
  }

  @Test
  void aCallerTheNewPolicyDeniesIsRefusedWithTheCountedReasonWhileItsOpenStreamContinues() throws Exception {
    Mesh m = mesh();
    try (Socket open = openStream(m.charlie())) {
      long before = System.nanoTime();
      assertEquals(0, policy("deny", "echo", "charlie"));
      TestWait.until(() -> m.bravo().meshPolicy().version() == 1, "bravo to apply policy version 1");
      System.out.println("MeshPolicyTest: policy version 1 applied on bravo " + (System.nanoTime() - before) / 1_000_000
          + " ms after sscmic policy deny");

      byte[] got = Clients.refusedExchange(m.charlie().outboundPort("echo"), HELLO);
      assertEquals(0, got.length, "not a byte of echo reaches the denied caller's application");
      TestWait.until(() -> m.bravo().v2().muxMetrics().refusedCount(RefusalReason.POLICY, Role.SERVER) >= 1,
          "bravo to count the refusal as policy");
      TestWait.until(() -> m.charlie().v2().muxMetrics().refusedCount(RefusalReason.POLICY, Role.CLIENT) >= 1,
          "charlie to count bravo's refusal as policy");
      assertTrue(echoes(m.alpha()), "alpha is still allowed");
      assertArrayEquals("again".getBytes(StandardCharsets.US_ASCII),
          roundTrip(open, "again".getBytes(StandardCharsets.US_ASCII)), "the stream open before the change goes on");
    }

    // The policy is cached beside the registry cache: bravo restarted while the authority is down keeps it.
    Path cache = dir.resolve("state-bravo").resolve(MeshPolicyView.CACHE_FILE);
    TestWait.until(() -> Files.exists(cache), "bravo to cache the policy");
    authority.stop();
    TestMesh.await(m.bravo().stop());
    Node again = TestMesh.await(Node.start(vertx.get(), bravoConfig(Backends.echo(vertx.get())),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    assertEquals(1, again.meshPolicy().version(), "the cached policy, with the authority down");
    assertFalse(again.meshPolicy().check("charlie", "echo").allowed(), "charlie is still denied");
    assertTrue(again.meshPolicy().check("alpha", "echo").allowed());
    TestMesh.await(again.stop());
  }

  @Test
  void aRevokedNodeLosesItsConnectionsWithinOneRefreshAndItsNewHandshakesAreRefused() throws Exception {
    Mesh m = mesh();
    try (Socket open = openStream(m.charlie())) {
      // One or more: the pool may add a connection on another event loop while streams are busy.
      long held = m.bravo().v2().muxMetrics().peer("charlie").connections();
      assertTrue(held >= 1, "charlie holds a v2 connection to bravo: " + held);
      long before = System.nanoTime();
      assertEquals(0, policy("revoke", "charlie"));
      TestWait.until(() -> m.bravo().v2().muxMetrics().peer("charlie").connections() == 0,
          "bravo to close charlie's connection");
      long tookMillis = (System.nanoTime() - before) / 1_000_000;
      System.out.println("MeshPolicyTest: revoked charlie's v2 connection closed on bravo " + tookMillis
          + " ms after sscmic policy revoke");
      // Within one refresh: the authority reads its files every second, the watch pushes at once; slack for load.
      assertTrue(tookMillis < 10_000, "closed after " + tookMillis + " ms");
      assertEquals(0, Clients.readUntilClosed(open.getInputStream()).size(),
          "charlie's open stream ended with no data");
    }
    assertTrue(m.bravo().meshPolicy().isRevoked("charlie"));

    byte[] got = Clients.refusedExchange(m.charlie().outboundPort("echo"), HELLO);
    assertEquals(0, got.length, "a revoked node's new connection gets nothing");
    TestWait.until(() -> handshakesRefusedAsRevoked() >= 1, "bravo to refuse charlie's handshake as revoked");
    assertEquals(0, m.bravo().v2().muxMetrics().peer("charlie").connections());
    assertTrue(echoes(m.alpha()), "alpha, not revoked, still reaches echo");
    assertNull(io.sscmic.keysyn.KeyScheduleGauges.upcomingReseed(authority.role.schedule()), "no re-seed was needed");
    assertTrue(authority.role.server().serviceRegistry().entries().stream().noneMatch(r -> r.node().equals("charlie")));
  }
}
