package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.authority.chain.ChainFile;
import io.sscmic.gateway.cli.MainAccess;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeyChain;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-seeding under traffic: {@code sscmic reseed} on the authority's directory, the running
 * authority announces the new chain, every node switches at the same epoch boundary and no
 * connection fails; nodes that were away adopt the new chain at their next contact.
 */
class ReseedTest {
  private static final Duration INTERVAL = Duration.ofMillis(400);
  @TempDir
  Path dir;
  private Vertx vertx;
  private TestAuthority authority;
  private NetServer echo;

  @BeforeEach
  void setUp() throws Exception {
    vertx = TestVertx.create();
    authority = TestAuthority.init(vertx, dir, INTERVAL, false).start(vertx);
    authority.refresh = Duration.ofMillis(100);
    echo = Backends.echo(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    TestMesh.await(vertx.close());
  }

  private NodeConfig client(String id, int peerPort, boolean withToken) {
    return authority.seedless(TestMesh.client(id, authority.config.genesis(), INTERVAL, new byte[32], "echo", peerPort),
        withToken);
  }

  /** The chain the authority's files define now: genesis from the seed, then every re-seed. */
  private KeyChain filesChain() throws Exception {
    List<ChainAnchor> anchors = new ArrayList<>();
    anchors.add(ChainAnchor.genesis(authority.seed().read()));
    anchors.addAll(ChainFile.read(dir.resolve(ChainFile.NAME)));
    return new KeyChain(anchors);
  }

  /** A TCP forwarder to the authority that the test can cut and restore on the same port. */
  private final class Link {
    final int port;
    private final NetClient client = vertx.createNetClient();
    private NetServer server;

    Link() throws Exception {
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      up();
    }

    void up() throws Exception {
      server = vertx.createNetServer().connectHandler(in -> {
        in.pause();
        client.connect(authority.config.listen().port(), "127.0.0.1").onComplete(ar -> {
          if (ar.failed()) {
            in.close();
            return;
          }
          in.pipeTo(ar.result());
          ar.result().pipeTo(in);
          in.resume();
        });
      });
      TestMesh.await(server.listen(port, "127.0.0.1"));
    }

    void down() throws Exception {
      TestMesh.await(server.close());
    }
  }

  @Test
  void aReseedUnderTrafficFailsNoConnectionAndAbsentNodesAdoptItLater() throws Exception {
    Node server = TestMesh.start(vertx, authority.seedless(TestMesh.server("server", authority.config.genesis(),
        INTERVAL, new byte[32], Map.of("echo", Backends.address(echo))), true));
    Node client = TestMesh.start(vertx, client("client", server.tunnelPort(), true));
    // "away" enrolls, then stops before the re-seed and comes back after it.
    Node away = TestMesh.start(vertx, client("away", server.tunnelPort(), true));
    TestMesh.await(away.stop());
    // "cut" keeps running but loses its link to the authority during the announcement.
    Link link = new Link();
    NodeConfig cutBase = client("cut", server.tunnelPort(), true);
    AuthorityRecovery.Settings s = cutBase.authority();
    Node cut = TestMesh.start(vertx, cutBase.withKeysyn(k -> k.withSeed(null)).withAuthority(new AuthorityRecovery.Settings(s.host(), link.port,
        s.caFile(), s.stateDir(), s.token(), s.method(), s.refresh())));
    link.down();

    // Traffic across the switch: short connections one after another, and one long stream.
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger exchanges = new AtomicInteger();
    CompletableFuture<Void> shortOnes = CompletableFuture.runAsync(() -> {
      try {
        while (!stop.get()) {
          byte[] p = Clients.random(8192, exchanges.get());
          assertArrayEquals(p, Clients.exchange(client.outboundPort("echo"), p));
          exchanges.incrementAndGet();
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Socket stream = new Socket("127.0.0.1", client.outboundPort("echo"));
    stream.setSoTimeout(20_000);
    CompletableFuture<Long> longOne = CompletableFuture.supplyAsync(() -> {
      long echoed = 0;
      byte[] chunk = Clients.random(4096, 42);
      byte[] back = new byte[4096];
      try (OutputStream out = stream.getOutputStream(); InputStream in = stream.getInputStream()) {
        while (!stop.get()) {
          out.write(chunk);
          int got = 0;
          while (got < back.length) {
            got += in.readNBytes(back, got, back.length - got);
          }
          assertArrayEquals(chunk, back);
          echoed += got;
          Thread.sleep(20);
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
      return echoed;
    });

    int before = MainAccess.run("reseed", "--config", dir.resolve(AuthorityFiles.FILE).toString(), "--in", "1s");
    assertEquals(0, before, "sscmic reseed succeeds");
    long switchEpoch = ChainFile.read(dir.resolve(ChainFile.NAME)).get(0).epoch();
    TestWait.until(() -> server.schedule().pending() != null && client.schedule().pending() != null
        && server.schedule().pending().epoch() == switchEpoch && client.schedule().pending().epoch() == switchEpoch,
        "both running nodes to learn the re-seed before epoch " + switchEpoch);
    assertTrue(client.schedule().current().epoch() < switchEpoch, "announced ahead of the switch");
    TestWait.until(() -> client.schedule().current().epoch() >= switchEpoch + 3, "three epochs past the switch");
    stop.set(true);
    shortOnes.get(30, TimeUnit.SECONDS);
    long streamed = longOne.get(30, TimeUnit.SECONDS);
    stream.close();
    assertTrue(exchanges.get() >= 10, "connections across the switch: " + exchanges.get());
    assertTrue(streamed > 0, "the long stream crossed the switch");
    assertEquals(0.0, client.metrics().failures(), "no failure on the client side");
    assertEquals(0.0, server.metrics().failures(), "no failure on the server side");

    // Both run the new chain now, which the old seed alone does not give.
    KeyState now = client.schedule().current();
    assertArrayEquals(filesChain().stateAt(now.epoch()).chainKey(KeyRole.CURRENT), now.chainKey(KeyRole.CURRENT));
    assertFalse(Arrays.equals(ChainAnchor.genesis(authority.seed().read()).stateAt(now.epoch())
        .chainKey(KeyRole.CURRENT), now.chainKey(KeyRole.CURRENT)), "the old chain is left behind");

    // The node that was stopped recovers the new chain at its restart.
    Node back = TestMesh.start(vertx, client("away", server.tunnelPort(), false));
    byte[] p = Clients.random(10_000, 7);
    assertArrayEquals(p, Clients.exchange(back.outboundPort("echo"), p));

    // The node that was cut off still holds the old chain; when the link returns it adopts the new one.
    assertFalse(Arrays.equals(filesChain().stateAt(cut.schedule().current().epoch()).chainKey(KeyRole.CURRENT),
        cut.schedule().current().chainKey(KeyRole.CURRENT)), "cut off, it missed the re-seed");
    link.up();
    TestWait.until(() -> {
      KeyState c = cut.schedule().current();
      try {
        return Arrays.equals(filesChain().stateAt(c.epoch()).chainKey(KeyRole.CURRENT), c.chainKey(KeyRole.CURRENT));
      } catch (Exception e) {
        return false;
      }
    }, "the cut-off node to adopt the new chain");
    assertArrayEquals(p, Clients.exchange(cut.outboundPort("echo"), p));
  }
}
