package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.SeedSource;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 item 3, outsiders lock members out. The attack: one outside address (127.0.0.2) opens
 * more idle connections than tunnel.max-connections and sends nothing. With the old code they all
 * counted toward max-connections, so a member's (127.0.0.1) new connections were refused as
 * overloaded for as long as the attacker held them. Now connections still in their handshake have
 * a pool of their own and one source may hold only tunnel.max-handshakes-per-source of them.
 */
class HandshakeLockoutTest {
  private static final int MAX_CONNECTIONS = 40;
  private static final int PER_SOURCE = 8;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private NetServer echo;
  private final Instant genesis = Instant.now().minusSeconds(60);
  private final Duration interval = Duration.ofSeconds(5);

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    echo = Backends.echo(vertx);
  }

  @Test
  void aFloodOfIdleConnectionsFromOneAddressLeavesAMembersNewConnectionsWorking() throws Exception {
    // A handshake timeout longer than the test: the attacker's connections stay for all of it.
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))).withTunnel(t -> t.withHandshakeTimeout(Duration.ofSeconds(60))
        .withLimits(new TunnelLimits(MAX_CONNECTIONS, 5_000, Duration.ofHours(1), 1_000, PER_SOURCE))));
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    List<Socket> flood = new ArrayList<>();
    try {
      InetAddress attacker = InetAddress.getByName("127.0.0.2");
      for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
        flood.add(new Socket(InetAddress.getByName("127.0.0.1"), b.tunnelPort(), attacker, 0));
      }
      TestWait.until(() -> b.metrics().limitHits(TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE)
          == 2 * MAX_CONNECTIONS - PER_SOURCE, "the attacker's connections beyond its share refused");
      // The attacker still holds its share, idle; the member's new connections work, one after another.
      for (int i = 0; i < 10; i++) {
        byte[] p = Clients.random(2000, i);
        assertArrayEquals(p, Clients.exchange(a.outboundPort("echo"), p), "member connection " + i);
      }
      assertEquals(0.0, b.metrics().limitHits(TunnelMetrics.Limit.MAX_CONNECTIONS), "nothing refused as full");
      assertEquals(0.0, b.metrics().limitHits(TunnelMetrics.Limit.MAX_HANDSHAKES));
      assertTrue(b.metrics().handshakes(TunnelMetrics.Side.INBOUND) >= 10);
    } finally {
      for (Socket s : flood) {
        s.close();
      }
    }
  }
}
