package io.sscmic.gateway.inbound;

import static io.sscmic.gateway.inbound.HandshakePair.EPOCH;
import static io.sscmic.gateway.inbound.HandshakePair.MESH;
import static io.sscmic.gateway.inbound.HandshakePair.OTHER_MESH;
import static io.sscmic.gateway.inbound.HandshakePair.at;
import static io.sscmic.gateway.inbound.HandshakePair.server;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.outbound.ClientHandshake;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server handshake without a socket, as Netty tests its codecs on an EmbeddedChannel: hello
 * bytes in, a typed verdict out. Each refusal reason of docs/PROTOCOL.md 3.1 has its case.
 */
class ServerHandshakeTest {
  private final KeySchedule serverKeys = at(MESH, EPOCH);
  private final HelloReplayCache replays = new HelloReplayCache(1000, 0).startingAt(EPOCH - 1);
  private final ServerHandshake server = server(serverKeys, replays, "echo");

  private static ClientHandshake client(KeySchedule keys, String service) {
    return new ClientHandshake(keys, HandshakePair.suite(), AeadProvider.JDK, HandshakePair.RANDOM, service);
  }

  private static byte[] hello(long epoch, String service) {
    return client(at(MESH, epoch), service).hello();
  }

  private FailureReason refusal(byte[] hello) {
    ServerHandshake.Result r = server.answer(hello);
    return assertInstanceOf(ServerHandshake.Refused.class, r, "refused").reason();
  }

  @Test
  void aMembersHelloIsAcceptedAndBothSidesDeriveTheSameTrafficKeys() throws Exception {
    KeySchedule clientKeys = at(MESH, EPOCH);
    ClientHandshake client = client(clientKeys, "echo");
    ServerHandshake.Accepted accepted = assertInstanceOf(ServerHandshake.Accepted.class,
        server.answer(client.hello()));
    assertEquals("echo", accepted.service());
    ClientHandshake.Established established = assertInstanceOf(ClientHandshake.Established.class,
        client.answer(accepted.accept()));

    // Client to server and back: what one side seals, the other opens.
    byte[] up = "ping".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(up, roundTrip(new FrameSealer(clientKeys, established.keys(), Direction.CLIENT_TO_SERVER),
        new FrameOpener(serverKeys, accepted.keys(), Direction.CLIENT_TO_SERVER), up));
    byte[] down = "pong".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(down, roundTrip(new FrameSealer(serverKeys, accepted.keys(), Direction.SERVER_TO_CLIENT),
        new FrameOpener(clientKeys, established.keys(), Direction.SERVER_TO_CLIENT), down));
  }

  @Test
  void aHelloOneEpochBehindOrAheadIsAccepted() {
    assertInstanceOf(ServerHandshake.Accepted.class, server.answer(hello(EPOCH - 1, "echo")));
    assertInstanceOf(ServerHandshake.Accepted.class, server.answer(hello(EPOCH + 1, "echo")));
  }

  static byte[] roundTrip(FrameSealer sealer, FrameOpener opener, byte[] plain) throws Exception {
    List<byte[]> out = new ArrayList<>();
    FrameDecoder decoder = new FrameDecoder((d, type, frame) -> out.add(opener.open(d, type, frame)));
    decoder.feed(sealer.data(Buffer.buffer(plain), 0, plain.length));
    assertEquals(1, out.size());
    return out.get(0);
  }

  @Test
  void aTamperedMacIsRefusedAsAuth() {
    byte[] hello = hello(EPOCH, "echo");
    hello[hello.length - 1] ^= 1;
    assertEquals(FailureReason.AUTH, refusal(hello));
  }

  @Test
  void aHelloOfAnotherMeshIsRefusedAsAuth() {
    assertEquals(FailureReason.AUTH, refusal(client(at(OTHER_MESH, EPOCH), "echo").hello()));
  }

  @Test
  void aTamperedServiceNameIsRefusedAsAuth() {
    byte[] hello = hello(EPOCH, "echo");
    hello[Protocol.HEADER_LENGTH + 2 + Protocol.RANDOM_LENGTH + 1] = 'x';
    assertEquals(FailureReason.AUTH, refusal(hello));
  }

  @Test
  void aHelloTwoEpochsBehindIsStale() {
    assertEquals(FailureReason.STALE_EPOCH, refusal(hello(EPOCH - 2, "echo")));
  }

  @Test
  void aHelloTwoEpochsAheadIsFuture() {
    assertEquals(FailureReason.FUTURE_EPOCH, refusal(hello(EPOCH + 2, "echo")));
  }

  @Test
  void theSameHelloTwiceIsAReplay() {
    byte[] hello = hello(EPOCH, "echo");
    assertInstanceOf(ServerHandshake.Accepted.class, server.answer(hello));
    assertEquals(FailureReason.REPLAY, refusal(hello));
    ServerHandshake.Refused r = (ServerHandshake.Refused) server.answer(hello);
    assertFalse(r.member(), "a replay proves nothing about its sender: no peer label");
  }

  @Test
  void aReplayIsCaughtByAnotherListenerSharingTheCache() {
    byte[] hello = hello(EPOCH, "echo");
    assertInstanceOf(ServerHandshake.Accepted.class, server.answer(hello));
    ServerHandshake reloaded = server(serverKeys, replays, "echo");
    assertEquals(FailureReason.REPLAY,
        assertInstanceOf(ServerHandshake.Refused.class, reloaded.answer(hello)).reason());
  }

  @Test
  void anUnknownServiceIsRefusedForAMember() {
    ServerHandshake.Refused r = assertInstanceOf(ServerHandshake.Refused.class,
        server.answer(hello(EPOCH, "nosuch")));
    assertEquals(FailureReason.UNKNOWN_SERVICE, r.reason());
    assertTrue(r.member(), "the hello verified: its sender is a member");
  }

  @Test
  void aMembersHelloOfAnotherVersionIsUnsupported() {
    byte[] hello = HelloFrame.encode(at(MESH, EPOCH).current().tc(), 2, HandshakePair.suite().wireId(),
        new byte[32], "echo", at(MESH, EPOCH).current().chainKey(KeyRole.CURRENT));
    assertEquals(FailureReason.UNSUPPORTED, refusal(hello));
  }

  @Test
  void aMembersHelloWithAnUnknownCipherIsUnsupported() {
    byte[] hello = HelloFrame.encode(at(MESH, EPOCH).current().tc(), Protocol.VERSION, 99, new byte[32], "echo",
        at(MESH, EPOCH).current().chainKey(KeyRole.CURRENT));
    assertEquals(FailureReason.UNSUPPORTED, refusal(hello));
  }

  /** Issue 14 item 11: the version byte is believed only under a valid MAC. */
  @Test
  void aTamperedVersionByteIsAuthNotVersionSkew() {
    byte[] hello = hello(EPOCH, "echo");
    hello[Protocol.HEADER_LENGTH] = 2;
    ServerHandshake.Refused r = assertInstanceOf(ServerHandshake.Refused.class, server.answer(hello));
    assertEquals(FailureReason.AUTH, r.reason());
    assertTrue(r.detail().contains("version byte says 2"), r.detail());
    byte[] cipher = hello(EPOCH, "echo");
    cipher[Protocol.HEADER_LENGTH + 1] = 99;
    assertEquals(FailureReason.AUTH, refusal(cipher), "a tampered cipher byte likewise");
  }

  /**
   * Issue 14 item 4: the replay cache knows only this process's hellos, so a hello from an epoch
   * before the process started (recorded before a restart) is refused unchecked.
   */
  @Test
  void aHelloFromBeforeTheProcessStartedIsRefusedAsReplay() {
    ServerHandshake restarted = server(serverKeys, new HelloReplayCache(1000, 0).startingAt(EPOCH), "echo");
    ServerHandshake.Refused r = assertInstanceOf(ServerHandshake.Refused.class,
        restarted.answer(hello(EPOCH - 1, "echo")));
    assertEquals(FailureReason.REPLAY, r.reason());
    assertTrue(r.detail().contains("before this process started"), r.detail());
    assertInstanceOf(ServerHandshake.Accepted.class, restarted.answer(hello(EPOCH, "echo")),
        "hellos of the start epoch and later are judged by the cache");
  }

  @Test
  void withoutAStartEpochTheCacheVouchesFromTheEpochBeforeItsFirstHello() {
    HelloReplayCache fresh = new HelloReplayCache(1000, 0);
    ServerHandshake s = server(serverKeys, fresh, "echo");
    assertInstanceOf(ServerHandshake.Accepted.class, s.answer(hello(EPOCH - 1, "echo")),
        "a peer one epoch behind, as the epoch window allows");
    assertEquals(EPOCH - 1, fresh.firstEpoch());
  }

  @Test
  void malformedHellosAreRefusedAsMalformed() {
    byte[] hello = hello(EPOCH, "echo");
    assertEquals(FailureReason.MALFORMED, refusal(Arrays.copyOf(hello, hello.length - 1)), "truncated");
    assertEquals(FailureReason.MALFORMED, refusal(Arrays.copyOf(hello, 20)), "shorter than any hello");
    byte[] notHello = hello.clone();
    notHello[2] = 0x11;
    assertEquals(FailureReason.MALFORMED, refusal(notHello), "an ACCEPT type byte");
  }

  @Test
  void aNodeWithoutKeysIsNotReady() {
    ServerHandshake cold = server(new KeySchedule(), replays, "echo");
    assertEquals(FailureReason.NOT_READY, assertInstanceOf(ServerHandshake.Refused.class,
        cold.answer(hello(EPOCH, "echo"))).reason());
  }
}
