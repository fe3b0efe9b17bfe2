package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.RefuseFrame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 item 11, REFUSE is unauthenticated. The attacks, from the path between two sidecars:
 * answer hellos with a forged REFUSE whose reason the attacker picks, and flip the version byte
 * of a genuine ACCEPT. With the old code the client counted the forged reason (an attacker chose
 * what operators alert on) and counted the tampered ACCEPT as {@code unsupported} (version skew).
 * Now a REFUSE is counted as {@code peer_refused} (its claim only in the log), and the version byte
 * is believed only after the MAC verified: a tampered one is {@code auth}.
 */
class RefuseSpoofingTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  @Test
  void aForgedRefuseIsCountedAsPeerRefusedAndItsClaimOnlyLogged() throws Exception {
    // The "peer" is the attacker: every connection gets a REFUSE claiming the peer is not a member.
    NetServer forger = testVertx.get().createNetServer().connectHandler(so -> so.handler(b -> so.write(
        Buffer.buffer(RefuseFrame.encode(0, FailureReason.AUTH, "you are not in this mesh")))
        .onComplete(x -> so.close())));
    TestMesh.await(forger.listen(0, "127.0.0.1"));
    Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "svc",
        forger.actualPort()));
    try (LogCapture logs = new LogCapture("io.sscmic.gateway.outbound")) {
      assertEquals(0, Clients.refusedExchange(a.outboundPort("svc"), "x".getBytes()).length);
      TestWait.until(() -> a.metrics().failures(FailureReason.PEER_REFUSED) == 1, "counted as peer_refused");
      assertEquals(0.0, a.metrics().failures(FailureReason.AUTH), "not under the reason the forger chose");
      TestWait.until(() -> logs.anyContains("saying auth (you are not in this mesh)", "unauthenticated"),
          "the claim is in the log, marked as unauthenticated");
    }
  }

  @Test
  void aTamperedAcceptVersionIsAuthNotUnsupported() throws Exception {
    Backends.Recorder backend = new Backends.Recorder(testVertx.get(), false);
    Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backend.address())));
    // On the path: relays both ways, sets the version byte (offset 5) of the server's first frame to 2.
    NetClient upstream = testVertx.get().createNetClient();
    NetServer path = testVertx.get().createNetServer().connectHandler(down -> {
      down.pause();
      upstream.connect(b.tunnelPort(), "127.0.0.1").onSuccess(up -> {
        long[] seen = {0};
        up.handler(chunk -> {
          Buffer out = chunk.copy();
          if (seen[0] <= 5 && seen[0] + chunk.length() > 5) {
            out.setByte((int) (5 - seen[0]), (byte) 2);
          }
          seen[0] += chunk.length();
          down.write(out);
        });
        down.handler(up::write);
        down.closeHandler(v -> up.close());
        up.closeHandler(v -> down.close());
        down.resume();
      });
    });
    TestMesh.await(path.listen(0, "127.0.0.1"));
    Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "svc",
        path.actualPort()));
    assertEquals(0, Clients.refusedExchange(a.outboundPort("svc"), "secret".getBytes()).length);
    TestWait.until(() -> a.metrics().failures(FailureReason.AUTH) == 1, "the tampered ACCEPT fails as auth");
    assertEquals(0.0, a.metrics().failures(FailureReason.UNSUPPORTED), "not passed off as version skew");
    Thread.sleep(300);
    assertEquals(0, backend.connections.get(), "the client sent no key confirmation: B never dialled");
    assertTrue(b.metrics().failures() >= 0);
  }
}
