package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.RefuseFrame;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Abuse limits of the tunnel listener: refused as "overloaded" before any cryptography, counted, logged once. */
class SidecarLimitsTest {
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

  private Node server(TunnelLimits limits) throws Exception {
    return TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))).withTunnel(t -> t.withLimits(limits)));
  }

  /** What a stranger connecting to the tunnel port reads: the REFUSE frame's reason, or null if none comes. */
  private static FailureReason refusal(Socket s) throws Exception {
    s.setSoTimeout(1500);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[512];
    List<FailureReason> reasons = new ArrayList<>();
    FrameDecoder decoder = new FrameDecoder((d, type, frame) -> {
      if (type == FrameType.REFUSE) {
        reasons.add(RefuseFrame.reason(frame));
      }
    });
    try {
      for (int n; reasons.isEmpty() && (n = in.read(buf)) > 0; ) {
        decoder.feed(Buffer.buffer(java.util.Arrays.copyOf(buf, n)));
      }
    } catch (java.net.SocketTimeoutException e) {
      return null;
    }
    return reasons.isEmpty() ? null : reasons.get(0);
  }

  @Test
  void overTheConnectionLimitAConnectionIsRefusedAsOverloaded() throws Exception {
    Node b = server(new TunnelLimits(2, 1000));
    try (Socket one = new Socket("127.0.0.1", b.tunnelPort()); Socket two = new Socket("127.0.0.1", b.tunnelPort())) {
      Thread.sleep(200);
      try (Socket third = new Socket("127.0.0.1", b.tunnelPort())) {
        assertEquals(FailureReason.OVERLOADED, refusal(third));
      }
      assertEquals(1.0, b.metrics().failures(FailureReason.OVERLOADED));
    }
    // The two silent ones are gone (closed by us): a real client gets through again.
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    TestWait.until(() -> {
      try {
        byte[] p = Clients.random(1000, 3);
        return java.util.Arrays.equals(p, Clients.exchange(a.outboundPort("echo"), p));
      } catch (Exception e) {
        return false;
      }
    }, "a connection under the limit works");
  }

  @Test
  void aStreamIdleLongerThanTheIdleTimeoutIsClosedAndABusyOneIsNot() throws Exception {
    Node b = server(new TunnelLimits(10_000, 5_000, Duration.ofMillis(300)));
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    try (Socket busy = new Socket("127.0.0.1", a.outboundPort("echo"));
         Socket quiet = new Socket("127.0.0.1", a.outboundPort("echo"))) {
      busy.setSoTimeout(5000);
      quiet.setSoTimeout(5000);
      byte[] ping = "ping".getBytes();
      byte[] back = new byte[4];
      quiet.getOutputStream().write(ping);
      assertEquals(4, quiet.getInputStream().readNBytes(back, 0, 4));
      // The busy stream echoes every 100 ms for 1.2 s: well past the timeout in total, never idle that long.
      for (int i = 0; i < 12; i++) {
        busy.getOutputStream().write(ping);
        assertEquals(4, busy.getInputStream().readNBytes(back, 0, 4));
        assertArrayEquals(ping, back);
        Thread.sleep(100);
      }
      // The quiet one was closed by the server's sidecar: its application sees the end (a reset).
      int end;
      try {
        end = quiet.getInputStream().read();
      } catch (java.net.SocketException reset) {
        end = -1;
      }
      assertEquals(-1, end, "the idle stream is closed");
    }
    TestWait.until(() -> b.metrics().failures(FailureReason.TIMEOUT) == 1, "the idle stream counted as timeout");
    assertEquals(0.0, b.metrics().failures(FailureReason.TIMEOUT) - 1 + a.metrics().failures(FailureReason.TIMEOUT),
        "only the quiet stream timed out");
  }

  @Test
  void aSourceOpeningHandshakesTooFastIsRefusedAsOverloaded() throws Exception {
    Node b = server(new TunnelLimits(10_000, 5));
    int refused = 0;
    List<Socket> sockets = new ArrayList<>();
    try (LogCapture logs = new LogCapture("io.sscmic.gateway.inbound")) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 30; i++) {
        sockets.add(new Socket("127.0.0.1", b.tunnelPort()));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      for (Socket s : sockets) {
        refused += refusal(s) == FailureReason.OVERLOADED ? 1 : 0;
      }
      // A burst of twice the rate passes (10), plus what the rate refills while the sockets open.
      int mayPass = 10 + (int) Math.ceil(5 * seconds) + 1;
      assertTrue(refused >= 30 - mayPass && refused <= 20, "refused " + refused + " of 30 in " + seconds + " s");
      assertEquals(refused, (int) b.metrics().failures(FailureReason.OVERLOADED));
      assertTrue(logs.anyContains("more than 5 handshakes/s from 127.0.0.1"), "the refusal is logged");
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /**
   * One peer (source address) may hold tunnel.max-connections-per-peer connections; its next one
   * is refused as overloaded and counted under the per-peer limit, while another peer still gets
   * in. Only verified hellos count, so strangers cannot use up a member's slots.
   */
  @Test
  void overThePerPeerLimitAPeersConnectionIsRefusedAndOtherPeersAreNot() throws Exception {
    Node b = server(new TunnelLimits(10_000, 1000, Duration.ofHours(1), 2));
    FailureProvoker peer = new FailureProvoker(b.tunnelPort(), TestMesh.SEED, b.schedule());
    List<Socket> open = new ArrayList<>();
    try (LogCapture logs = new LogCapture("io.sscmic.gateway.inbound")) {
      peer.auth("echo");
      for (int i = 0; i < 2; i++) {
        Object[] accepted = peer.validHelloFrom("127.0.0.1", "echo");
        open.add((Socket) accepted[0]);
        assertEquals(0x11, accepted[1], "connection " + (i + 1) + " of the peer is accepted");
      }
      Object[] third = peer.validHelloFrom("127.0.0.1", "echo");
      open.add((Socket) third[0]);
      assertEquals(0x12, third[1], "the peer's third connection gets a REFUSE");
      Object[] other = peer.validHelloFrom("127.0.0.2", "echo");
      open.add((Socket) other[0]);
      assertEquals(0x11, other[1], "another peer is not affected");
      assertEquals(1.0, b.metrics().limitHits(io.sscmic.gateway.tunnel.TunnelMetrics.Limit.MAX_CONNECTIONS_PER_PEER));
      assertEquals(1.0, b.metrics().failures(FailureReason.OVERLOADED));
      assertTrue(logs.anyContains("peer 127.0.0.1 has 2 connections open (tunnel.max-connections-per-peer)"),
          "the refusal is logged with the key to raise");
      // A freed slot is the peer's again.
      open.remove(0).close();
      TestWait.until(() -> {
        try {
          Object[] again = peer.validHelloFrom("127.0.0.1", "echo");
          open.add((Socket) again[0]);
          return (int) again[1] == 0x11;
        } catch (Exception e) {
          return false;
        }
      }, "the peer connects again once one of its connections closed");
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
