package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims 3 and 4 end to end: nodes without the seed enroll with the authority and recover their
 * key state from it, keep working while it is down, and a restarting node waits for it.
 */
class NodeRecoveryTest {
  private static final Duration INTERVAL = Duration.ofMillis(250);
  @TempDir
  Path dir;
  private Vertx vertx;
  private TestAuthority authority;
  private NetServer echo;

  @BeforeEach
  void setUp() throws Exception {
    vertx = TestVertx.create();
    authority = TestAuthority.init(vertx, dir, INTERVAL, false).start(vertx);
    echo = Backends.echo(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    TestMesh.await(vertx.close());
  }

  private NodeConfig server(boolean withToken) {
    return authority.seedless(TestMesh.server("server", authority.config.genesis(), INTERVAL, new byte[32],
        Map.of("echo", Backends.address(echo))), withToken);
  }

  private NodeConfig client(int peerPort, boolean withToken) {
    return authority.seedless(TestMesh.client("client", authority.config.genesis(), INTERVAL, new byte[32], "echo",
        peerPort), withToken);
  }

  private static void roundTrip(Node client, int size, long seed) throws Exception {
    byte[] payload = Clients.random(size, seed);
    assertArrayEquals(payload, Clients.exchange(client.outboundPort("echo"), payload));
  }

  @Test
  void seedlessNodesRecoverTheSameKeysAsTheSeedAndTalkToASeedNode() throws Exception {
    Node server = TestMesh.start(vertx, server(true));
    Node client = TestMesh.start(vertx, client(server.tunnelPort(), true));
    assertNull(client.config().keysyn().seed(), "the client node holds no seed");
    roundTrip(client, 100_000, 1);

    // The recovered chain is the seed's chain: compare with a node that computes it from the seed.
    byte[] seed = authority.seed().read();
    KeyState recovered = client.schedule().current();
    KeyState fromSeed = ChainAnchor.genesis(seed).stateAt(recovered.epoch());
    for (KeyRole r : KeyRole.values()) {
      assertArrayEquals(fromSeed.chainKey(r), recovered.chainKey(r), r.name());
    }
    // A node that does hold the seed talks to the seedless server.
    Node seeded = TestMesh.start(vertx, TestMesh.client("seeded", authority.config.genesis(), INTERVAL, seed, "echo",
        server.tunnelPort()));
    roundTrip(seeded, 50_000, 2);

    // Enrollment left a certificate and a 0600 key in the state directory.
    Path state = dir.resolve("state-client");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("node.key"))));
    assertTrue(Files.exists(state.resolve("node.crt")));
    assertEquals(2L, authority.role.server().outcomes().get("enroll.ok"));
  }

  @Test
  void methodOneNodesHoldTheSeedAndAskOnlyForTheEpoch() throws Exception {
    TestMesh.await(vertx.close());
    vertx = TestVertx.create();
    Path dir1 = dir.resolve("m1");
    authority = TestAuthority.init(vertx, dir1, INTERVAL, true).start(vertx);
    echo = Backends.echo(vertx);
    Node server = TestMesh.start(vertx, TestMesh.server("server", authority.config.genesis(), INTERVAL,
        authority.seed().read(), Map.of("echo", Backends.address(echo))));
    NodeConfig base = TestMesh.client("client", authority.config.genesis(), INTERVAL, new byte[32], "echo",
        server.tunnelPort());
    Node client = TestMesh.start(vertx, base.withKeysyn(k -> k.withSeed(authority.seed())).withAuthority(authority.settings("client",
        TokenSource.memory(authority.token("client")), AuthorityRecovery.Method.EPOCH_ONLY)));
    roundTrip(client, 10_000, 3);
    assertEquals(1L, authority.role.server().outcomes().get("epoch.ok"));
    assertNull(authority.role.server().outcomes().get("recover.ok"), "no key state crossed the network");
  }

  @Test
  void withTheAuthorityDownNodesKeepTalkingAndARestartingNodeWaitsForIt() throws Exception {
    Node server = TestMesh.start(vertx, server(true));
    Node client = TestMesh.start(vertx, client(server.tunnelPort(), true));
    roundTrip(client, 1000, 4);
    authority.stop();

    // Many rotations with the authority down: the nodes' clocks drive the ratchet.
    double before = client.rotations();
    int exchanges = 0;
    while (client.rotations() < before + 12) {
      roundTrip(client, 20_000, exchanges++);
      Thread.sleep(50);
    }
    assertTrue(exchanges >= 10, "exchanged across the rotations: " + exchanges);
    assertEquals(0.0, client.metrics().failures(), "no failures while the authority is down");

    // The client restarts while the authority is down: it says why it waits and is not ready.
    TestMesh.await(client.stop());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (LogCapture logs = new LogCapture("io.sscmic.keysyn")) {
      Future<Node> restarting = Node.start(vertx, client(server.tunnelPort(), false), registry);
      TestWait.until(() -> logs.anyContains("no key state yet: authority unreachable at https://127.0.0.1:"
          + authority.config.listen().port()), "the 'authority unreachable' log line");
      JsonObject ready = TestMesh.await(vertx.eventBus().<JsonObject>request(AdminAddresses.ready("client"), null))
          .body();
      assertFalse(ready.getBoolean("ready"), ready.encode());
      assertTrue(registry.scrape().contains("sscmic_authority_client_requests_total{node=\"client\",result=\"unreachable\"}"),
          "the failed attempts are counted");
      assertFalse(restarting.isComplete(), "no listener before the key state");

      // The authority comes back on the same port: the node recovers with its stored certificate.
      authority.start(vertx);
      Node back = TestMesh.await(restarting);
      JsonObject readyNow = TestMesh.await(vertx.eventBus().<JsonObject>request(AdminAddresses.ready("client"), null))
          .body();
      assertTrue(readyNow.getBoolean("ready"), readyNow.encode());
      roundTrip(back, 30_000, 99);
      assertEquals(1L, authority.role.server().outcomes().get("recover.ok"));
      assertNull(authority.role.server().outcomes().get("enroll.ok"), "no second enrollment: the certificate was kept");
    }
  }

  @Test
  void aNodeWithoutTokenOrCertificateSaysHowToEnroll() throws Exception {
    try (LogCapture logs = new LogCapture("io.sscmic.keysyn")) {
      Node.start(vertx, client(1, false), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      TestWait.until(() -> logs.anyContains("not enrolled and no enrollment token", "sscmic token --node client"),
          "the 'not enrolled' log line");
    }
  }
}
