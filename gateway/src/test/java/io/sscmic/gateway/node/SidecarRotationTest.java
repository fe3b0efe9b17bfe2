package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.keysyn.KeyRole;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Key rotation under traffic: long streams, 16-bit wrap-around, receivers an epoch apart. */
class SidecarRotationTest {
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private NetServer echo;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    echo = Backends.echo(vertx);
  }

  @Test
  void aStreamCrossesTwentyRotationsAndTheTcWrapWithoutALostByte() throws Exception {
    Duration interval = Duration.ofMillis(50);
    // Epoch 65436 now: Tc passes 65535 -> 0 about 5 s later, whatever the start-up time.
    Instant genesis = Instant.now().minusMillis(65436L * interval.toMillis());
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    long firstEpoch = a.schedule().current().epoch();
    assertTrue(firstEpoch < 65536, "starts before the wrap");

    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    byte[] back;
    try (Socket s = new Socket("127.0.0.1", a.outboundPort("echo"))) {
      s.setSoTimeout(30_000);
      CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
        try {
          return Clients.readUntilClosed(s.getInputStream()).toByteArray();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      OutputStream out = s.getOutputStream();
      int chunk = 0;
      // Paced writes, so the stream is alive across many epoch boundaries (ended by epochs, not by time).
      while (a.schedule().current().epoch() < Math.max(firstEpoch + 24, 65536 + 4)) {
        byte[] piece = Clients.random(20_000 + chunk % 7 * 1000, chunk);
        out.write(piece);
        sent.write(piece);
        chunk++;
        Thread.sleep(5);
      }
      s.shutdownOutput();
      back = reader.get();
    }
    long lastEpoch = a.schedule().current().epoch();
    assertTrue(lastEpoch - firstEpoch >= 20, "crossed " + (lastEpoch - firstEpoch) + " rotations");
    assertTrue(lastEpoch >= 65536 && a.schedule().current().tc() < 1000, "Tc wrapped past 65535");
    assertTrue(b.metrics().framesOpened(KeyRole.CURRENT) > 0);
    assertEquals(sent.size(), back.length);
    assertEquals(Clients.sha256(sent.toByteArray()), Clients.sha256(back));
    for (FailureReason r : FailureReason.values()) {
      assertEquals(0.0, a.metrics().failures(r) + b.metrics().failures(r), "failures " + r);
    }
    assertTrue(b.metrics().framesOpened(KeyRole.CURRENT) > 0);
  }

  @Test
  void clocksFourTenthsOfAnIntervalApartLoseNothingAcrossRotations() throws Exception {
    Duration interval = Duration.ofMillis(500);
    Instant genesis = Instant.now().minusSeconds(600);
    // B's clock runs 0.4 interval ahead of A's: for 40% of every interval they are one epoch apart.
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))), () -> System.currentTimeMillis() + interval.toMillis() * 4 / 10);
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    double before = a.rotations();
    int exchanges = 0;
    while (a.rotations() < before + 8) {
      byte[] payload = Clients.random(8192, exchanges);
      assertEquals(Clients.sha256(payload), Clients.sha256(Clients.exchange(a.outboundPort("echo"), payload)));
      exchanges++;
      Thread.sleep(20);
    }
    assertEquals(0.0, a.metrics().failures() + b.metrics().failures(), "no refusal with a 0.4 interval skew");
    assertTrue(a.metrics().framesOpened(KeyRole.PREVIOUS) + a.metrics().framesOpened(KeyRole.NEXT) > 0,
        "the skew was real: some frames were opened with a neighbouring epoch's key");
  }

  @Test
  void aReceiverOneEpochBehindUsesTheNextKey() throws Exception {
    Duration interval = Duration.ofSeconds(3);
    Instant genesis = Instant.now().minusSeconds(3000);
    // B's clock is exactly one interval slow: B is always one epoch behind A.
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))), () -> System.currentTimeMillis() - interval.toMillis());
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    byte[] payload = Clients.random(200_000, 3);
    assertEquals(Clients.sha256(payload), Clients.sha256(Clients.exchange(a.outboundPort("echo"), payload)));
    assertTrue(b.metrics().framesOpened(KeyRole.NEXT) > 0, "B (behind) opened A's frames with R(Kn)");
    assertTrue(a.metrics().framesOpened(KeyRole.PREVIOUS) > 0, "A (ahead) opened B's frames with Kp");
  }

  @Test
  void aReceiverOneEpochAheadUsesThePreviousKey() throws Exception {
    Duration interval = Duration.ofSeconds(3);
    Instant genesis = Instant.now().minusSeconds(3000);
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, interval, TestMesh.SEED,
        Map.of("echo", Backends.address(echo))), () -> System.currentTimeMillis() + interval.toMillis());
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, interval, TestMesh.SEED, "echo", b.tunnelPort()));
    byte[] payload = Clients.random(200_000, 4);
    assertEquals(Clients.sha256(payload), Clients.sha256(Clients.exchange(a.outboundPort("echo"), payload)));
    assertTrue(b.metrics().framesOpened(KeyRole.PREVIOUS) > 0, "B (ahead) opened A's frames with Kp");
    assertTrue(a.metrics().framesOpened(KeyRole.NEXT) > 0, "A (behind) opened B's frames with R(Kn)");
  }

  @Test
  void twoEpochsApartIsRefusedWithItsReasonAndNoBackendConnection() throws Exception {
    Duration interval = Duration.ofSeconds(3);
    Instant genesis = Instant.now().minusSeconds(3000);
    Backends.Recorder backend = new Backends.Recorder(vertx, false);
    Node behind = TestMesh.start(vertx, TestMesh.server("behind", genesis, interval, TestMesh.SEED,
        Map.of("svc", backend.address())), () -> System.currentTimeMillis() - 2 * interval.toMillis());
    Node ahead = TestMesh.start(vertx, TestMesh.server("ahead", genesis, interval, TestMesh.SEED,
        Map.of("svc", backend.address())), () -> System.currentTimeMillis() + 2 * interval.toMillis());
    Node toBehind = TestMesh.start(vertx, TestMesh.client("a1", genesis, interval, TestMesh.SEED, "svc",
        behind.tunnelPort()));
    Node toAhead = TestMesh.start(vertx, TestMesh.client("a2", genesis, interval, TestMesh.SEED, "svc",
        ahead.tunnelPort()));

    // What the application sees: its connection is reset without a byte of answer.
    assertEquals(0, Clients.refusedExchange(toBehind.outboundPort("svc"), "secret".getBytes()).length);
    assertEquals(0, Clients.refusedExchange(toAhead.outboundPort("svc"), "secret".getBytes()).length);
    TestWait.until(() -> behind.metrics().failures(FailureReason.FUTURE_EPOCH) == 1, "future_epoch at the lagging node");
    TestWait.until(() -> ahead.metrics().failures(FailureReason.STALE_EPOCH) == 1, "stale_epoch at the leading node");
    // The senders read the claimed reason in the (unauthenticated) REFUSE frame and log it; they
    // count it as peer_refused, so nobody on the path chooses what they alert on.
    TestWait.until(() -> toBehind.metrics().failures(FailureReason.PEER_REFUSED) == 1, "client-side count");
    assertEquals(0.0, toBehind.metrics().failures(FailureReason.FUTURE_EPOCH));
    assertEquals(0, backend.connections.get(), "no backend connection for a refused hello");
    assertEquals(0, behind.metrics().active(TunnelMetrics.Side.INBOUND));
  }
}
