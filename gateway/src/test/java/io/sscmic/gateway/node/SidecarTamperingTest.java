package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An attacker between two sidecars. For each attack: the receiving sidecar refuses with the
 * named reason and counts it, the local service never receives a byte that failed
 * authentication, and the application's connection is reset (never a clean, truncated end).
 */
class SidecarTamperingTest {
  private static final Duration INTERVAL = Duration.ofMillis(400);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private Instant genesis;
  private Backends.Recorder backend;
  private Node b;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    genesis = Instant.now().minusSeconds(600);
    backend = new Backends.Recorder(vertx, false);
    b = TestMesh.start(vertx, TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED, Map.of("svc", backend.address())));
  }

  private Node clientThrough(TamperingProxy proxy) throws Exception {
    return TestMesh.start(vertx, TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "svc", proxy.port()));
  }

  private static byte[] payload() {
    return "account=42;amount=1000000".getBytes();
  }

  @Test
  void aFlippedBitIsRefusedAsAuthAndNothingReachesTheService() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
      if (type == FrameType.DATA) {
        frame[frame.length - 20] ^= 0x01;
      }
      up.write(Buffer.buffer(frame));
    });
    Node a = clientThrough(proxy);
    assertEquals(0, Clients.refusedExchange(a.outboundPort("svc"), payload()).length);
    TestWait.until(() -> b.metrics().failures(FailureReason.AUTH) == 1, "auth failure counted");
    assertEquals(0, backend.bytes.get(), "the service got nothing");
    // The receiver told the sender why, in a sealed ERROR frame.
    TestWait.until(() -> a.metrics().failures(FailureReason.PEER_ABORTED) == 1, "sender learns of the abort");
  }

  @Test
  void aFlippedBitInTheEpochHeaderIsRefused() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
      if (type == FrameType.DATA) {
        frame[1] ^= 0x01; // D moves by one epoch: still in the window, but authenticated as AAD
      }
      up.write(Buffer.buffer(frame));
    });
    Node a = clientThrough(proxy);
    Clients.refusedExchange(a.outboundPort("svc"), payload());
    TestWait.until(() -> b.metrics().failures(FailureReason.AUTH) + b.metrics().failures(FailureReason.STALE_EPOCH)
        + b.metrics().failures(FailureReason.FUTURE_EPOCH) == 1, "header tampering refused");
    assertEquals(0, backend.bytes.get());
  }

  @Test
  void aTruncatedFrameIsRefusedAsTruncated() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
      if (type == FrameType.DATA) {
        up.write(Buffer.buffer(frame).getBuffer(0, frame.length / 2)).onComplete(x -> up.close());
      } else {
        up.write(Buffer.buffer(frame));
      }
    });
    Node a = clientThrough(proxy);
    assertEquals(0, Clients.refusedExchange(a.outboundPort("svc"), payload()).length);
    TestWait.until(() -> b.metrics().failures(FailureReason.TRUNCATED) == 1, "truncation counted");
    assertEquals(0, backend.bytes.get());
  }

  @Test
  void anOversizedLengthIsRefusedBeforeItsBodyArrives() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
      if (type == FrameType.DATA) {
        // Only a header announcing 65535 bytes: the receiver must not wait for (or buffer) the body.
        up.write(Buffer.buffer(new byte[] {frame[0], frame[1], 0x01, (byte) 0xFF, (byte) 0xFF}));
      } else {
        up.write(Buffer.buffer(frame));
      }
    });
    Node a = clientThrough(proxy);
    Clients.refusedExchange(a.outboundPort("svc"), payload());
    TestWait.until(() -> b.metrics().failures(FailureReason.OVERSIZE) == 1, "oversize counted");
    assertEquals(0, backend.bytes.get());
  }

  @Test
  void aReplayedFrameIsRefusedAndTheServiceGetsTheOriginalOnce() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), (i, type, frame, up) -> {
      up.write(Buffer.buffer(frame));
      // Every DATA frame with a payload (the empty one first is the key confirmation).
      if (type == FrameType.DATA && frame.length > 5 + 16) {
        up.write(Buffer.buffer(frame));
      }
    });
    Node a = clientThrough(proxy);
    Clients.refusedExchange(a.outboundPort("svc"), payload());
    TestWait.until(() -> b.metrics().failures(FailureReason.AUTH) == 1, "replayed frame refused");
    TestWait.until(() -> backend.bytes.get() == payload().length, "original delivered");
    Thread.sleep(200);
    assertEquals(payload().length, backend.bytes.get(), "delivered exactly once");
  }

  @Test
  void aReplayedConnectionIsRefusedWithoutABackendConnection() throws Exception {
    TamperingProxy proxy = new TamperingProxy(vertx, b.tunnelPort(), TamperingProxy.FORWARD);
    Node a = clientThrough(proxy);
    // A genuine connection: the service receives the payload once.
    try (Socket s = new Socket("127.0.0.1", a.outboundPort("svc"))) {
      s.getOutputStream().write(payload());
      TestWait.until(() -> backend.bytes.get() == payload().length, "genuine delivery");
    }
    TestWait.until(() -> proxy.recorded.size() >= 2, "recording");
    byte[] recording = proxy.recording().getBytes();
    assertEquals(1, backend.connections.get());

    // The attacker plays the whole recorded client stream to the tunnel port again.
    replay(recording);
    TestWait.until(() -> b.metrics().failures(FailureReason.REPLAY) == 1, "replay refused");
    assertEquals(1, backend.connections.get(), "no second backend connection");

    // Later, outside the hello's epoch window (Kp and the keys retained for KeySchedule.GRACE),
    // the same recording is stale.
    long start = b.schedule().current().epoch();
    int window = 3 + b.schedule().retainedEpochs();
    TestWait.until(() -> b.schedule().current().epoch() >= start + window, window + " rotations");
    replay(recording);
    TestWait.until(() -> b.metrics().failures(FailureReason.STALE_EPOCH) == 1, "stale replay refused");
    assertEquals(1, backend.connections.get());
    assertEquals(payload().length, backend.bytes.get(), "the service saw the payload once in all");
  }

  @Test
  void aNodeWithAnotherSeedIsRefusedAsAuth() throws Exception {
    Node stranger = TestMesh.start(vertx, TestMesh.client("stranger", genesis, INTERVAL,
        "a different mesh seed, also 32 bytes or more".getBytes(), "svc", b.tunnelPort()));
    assertEquals(0, Clients.refusedExchange(stranger.outboundPort("svc"), payload()).length);
    TestWait.until(() -> b.metrics().failures(FailureReason.AUTH) == 1, "auth failure counted");
    // The stranger reads "auth" in the REFUSE and logs it; it counts what it can know: a refusal.
    TestWait.until(() -> stranger.metrics().failures(FailureReason.PEER_REFUSED) == 1, "the stranger is told");
    assertEquals(0, backend.connections.get(), "no backend connection for a stranger");
  }

  @Test
  void garbageInsteadOfAHelloIsRefusedAsMalformed() throws Exception {
    try (Socket s = new Socket("127.0.0.1", b.tunnelPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      byte[] answer = Clients.readUntilClosed(s.getInputStream()).toByteArray();
      // A REFUSE frame: type 0x12, reason code 4 (malformed), then its label.
      assertEquals(0x12, answer[2]);
      assertEquals(FailureReason.MALFORMED.code(), answer[5]);
      assertArrayEquals("malformed".getBytes(), java.util.Arrays.copyOfRange(answer, 6, answer.length));
    }
    assertEquals(1.0, b.metrics().failures(FailureReason.MALFORMED));
    assertEquals(0, backend.connections.get());
  }

  @Test
  void aSilentConnectionIsClosedAfterTheHandshakeTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", b.tunnelPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(new byte[] {0, 1, 0x10}); // a hello that never completes
      byte[] answer = Clients.readUntilClosed(s.getInputStream()).toByteArray();
      assertEquals(0x12, answer[2], "a REFUSE frame");
      assertEquals(FailureReason.TIMEOUT.code(), answer[5]);
    }
    assertEquals(1.0, b.metrics().failures(FailureReason.TIMEOUT));
    assertEquals(0, backend.connections.get());
  }

  private void replay(byte[] recording) throws Exception {
    try (Socket s = new Socket("127.0.0.1", b.tunnelPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(recording);
      } catch (java.io.IOException e) {
        // refused early
      }
      Clients.readUntilClosed(s.getInputStream());
    }
  }
}
