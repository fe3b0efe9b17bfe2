package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.frame.FailureReason;
import io.vertx.core.buffer.Buffer;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 item 4, the local service dialled before the client proved anything. The attack: record
 * a member's connection (its HELLO and the frames after it) and play it to a node that has not seen
 * that hello: another member offering the same service, or the same member after a restart (the
 * replay cache lives in memory). The old code connected to its local service as soon as the hello
 * verified, before ACCEPT; now a node connects only once the client's first frame after ACCEPT has
 * opened under the traffic keys, which need the chain key and the node's fresh server random.
 */
class ReplayedHelloTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final Instant genesis = Instant.now().minusSeconds(600);

  private static byte[] payload() {
    return "transfer 1000000 to account 42".getBytes();
  }

  /** A genuine connection from a through a recording proxy to {@code target}; returns the recording. */
  private byte[] record(Node target, Backends.Recorder backend) throws Exception {
    TamperingProxy proxy = new TamperingProxy(testVertx.get(), target.tunnelPort(), TamperingProxy.FORWARD);
    Node a = TestMesh.start(testVertx.get(), TestMesh.client("a", genesis, INTERVAL, TestMesh.SEED, "svc", proxy.port()));
    try (Socket s = new Socket("127.0.0.1", a.outboundPort("svc"))) {
      s.getOutputStream().write(payload());
      TestWait.until(() -> backend.bytes.get() == payload().length, "genuine delivery");
    }
    TestWait.until(() -> proxy.recorded.size() >= 3, "hello, key confirmation and data recorded");
    return proxy.recording().getBytes();
  }

  /** Plays the recording to a tunnel port; returns the type byte of the first answer (0x11 ACCEPT, 0x12 REFUSE). */
  private static int replay(int tunnelPort, byte[] recording) throws Exception {
    try (Socket s = new Socket("127.0.0.1", tunnelPort)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(recording);
      byte[] answer = Clients.readUntilClosed(s.getInputStream()).toByteArray();
      return answer.length < 5 ? -1 : answer[2];
    }
  }

  @Test
  void aHelloReplayedToAnotherMemberOfferingTheServiceNeverReachesItsService() throws Exception {
    Backends.Recorder backendB = new Backends.Recorder(testVertx.get(), false);
    Backends.Recorder backendC = new Backends.Recorder(testVertx.get(), false);
    Backends.Recorder backendD = new Backends.Recorder(testVertx.get(), false);
    Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backendB.address())));
    Node c = TestMesh.start(testVertx.get(), TestMesh.server("c", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backendC.address())));
    Node d = TestMesh.start(testVertx.get(), TestMesh.server("d", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backendD.address())));
    byte[] recording = record(b, backendB);

    // C has never seen this hello: it answers ACCEPT (it cannot know better), then waits for the
    // client's first frame, which never comes, until its handshake timeout. No connection meanwhile.
    int helloLength = 5 + ((recording[3] & 0xFF) << 8 | recording[4] & 0xFF);
    try (Socket s = new Socket("127.0.0.1", c.tunnelPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(Buffer.buffer(recording).getBytes(0, helloLength));
      byte[] header = s.getInputStream().readNBytes(5);
      assertEquals(0x11, header[2], "C accepts the hello");
      Thread.sleep(500);
      assertEquals(0, backendC.connections.get(), "C has not connected to its service for the replayed hello");
      Clients.readUntilClosed(s.getInputStream());
    }
    TestWait.until(() -> c.metrics().failures(FailureReason.TIMEOUT) == 1, "C gave up waiting");
    assertEquals(0, backendC.connections.get(), "C never connected to its service for the replayed hello");

    // D gets the whole recording: the recorded key confirmation was sealed under B's server
    // random, not D's, so it does not open at D.
    assertEquals(0x11, replay(d.tunnelPort(), recording), "D accepts the hello");
    TestWait.until(() -> d.metrics().failures(FailureReason.AUTH) == 1, "the replayed stream refused");
    Thread.sleep(500);
    assertEquals(0, backendD.connections.get(), "D never connected to its service for the replay");
    assertEquals(0, backendC.connections.get() + backendC.bytes.get() + backendD.bytes.get());
    assertEquals(1, backendB.connections.get(), "B saw the genuine connection only");
  }

  @Test
  void aHelloReplayedToTheSameMemberAfterARestartNeverReachesItsService() throws Exception {
    Backends.Recorder backend = new Backends.Recorder(testVertx.get(), false);
    Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backend.address())));
    byte[] recording = record(b, backend);
    assertEquals(1, backend.connections.get());
    assertEquals(0x12, replay(b.tunnelPort(), recording), "before the restart the replay cache refuses it");
    TestMesh.await(b.stop());

    // The same member (same config, same service), restarted: its replay cache is empty.
    Node restarted = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backend.address())));
    int answer = replay(restarted.tunnelPort(), recording);
    // Refused as a replay from before the start, or (same epoch) accepted but never dialled.
    assertTrue(answer == 0x12 || answer == 0x11, "answer " + answer);
    TestWait.until(() -> restarted.metrics().failures() >= 1, "the replay refused");
    Thread.sleep(500);
    assertEquals(1, backend.connections.get(), "no connection to the service after the restart");
    assertEquals(payload().length, backend.bytes.get(), "the service saw the payload once in all");
  }

  @Test
  void aGenuineConnectionStillWorksAndItsFirstFrameIsTheKeyConfirmation() throws Exception {
    Backends.Recorder backend = new Backends.Recorder(testVertx.get(), false);
    Node b = TestMesh.start(testVertx.get(), TestMesh.server("b", genesis, INTERVAL, TestMesh.SEED,
        Map.of("svc", backend.address())));
    byte[] recording = record(b, backend);
    int helloLength = 5 + ((recording[3] & 0xFF) << 8 | recording[4] & 0xFF);
    // The frame after the hello: an empty DATA frame (header, tag, no payload).
    assertEquals(0x01, recording[helloLength + 2], "DATA");
    assertEquals(16, (recording[helloLength + 3] & 0xFF) << 8 | recording[helloLength + 4] & 0xFF, "tag only");
    assertEquals(1, backend.connections.get());
    assertArrayEquals(payload(), backend.received.stream().map(Buffer::getBytes)
        .reduce(new byte[0], (x, y) -> Buffer.buffer(x).appendBytes(y).getBytes()));
  }
}
