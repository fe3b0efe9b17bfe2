package io.sscmic.gateway.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.Init;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.ReplayFilter;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.handshake.Wire;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The record layer on two EmbeddedChannels wired back to back: what the application above sees
 * (plaintext, HandshakeCompleted, RecordLayerClosed with a reason) for the good path, rotation,
 * and every refusal. Netty's leak detector runs at PARANOID and the class fails if it saw a leak.
 */
class RecordLayerTest {
  static {
    LeakWatch.install();
  }

  private static final TestIdentities MESH = new TestIdentities("records");
  private static final LocalIdentity ALPHA = MESH.node("alpha");
  private static final LocalIdentity BETA = MESH.node("beta");
  private static final long N = TestIdentities.EPOCH;

  private static HandshakeSettings clientAt(KeySchedule s) {
    return MESH.settings(ALPHA, s);
  }

  private static HandshakeSettings serverAt(KeySchedule s) {
    return MESH.settings(BETA, s).withReplayFilter(new ReplayFilter(N - 5, s.retainedEpochs(), 1000));
  }

  private static BackToBack pair(KeySchedule client, KeySchedule server, CipherSuite suite) {
    return new BackToBack(clientAt(client), "beta", suite, serverAt(server));
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    TestIdentities.RANDOM.nextBytes(b);
    return b;
  }

  @AfterAll
  static void noBufferLeaked() throws Exception {
    List<String> leaks = LeakWatch.leaks();
    assertTrue(leaks.isEmpty(), "Netty reported leaked buffers:\n" + String.join("\n", leaks));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void bytesWrittenBeforeAndAfterTheHandshakeArriveInOrderBothWays(CipherSuite suite) {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), suite)) {
      byte[] big = random(100_000);
      p.client.writeAndFlush(text("hello "));
      p.client.writeAndFlush(Unpooled.wrappedBuffer(big));
      p.shuttle();
      HandshakeCompleted atServer = p.serverApp.completed();
      HandshakeCompleted atClient = p.clientApp.completed();
      assertNotNull(atServer);
      assertEquals("alpha", atServer.peerNodeId());
      assertEquals(ALPHA.certificate(), atServer.peerCertificate());
      assertEquals("beta", atClient.peerNodeId());
      assertEquals(suite, atClient.suite());
      assertEquals(suite, atServer.suite());
      assertTrue(atClient.initiator());
      assertFalse(atServer.initiator());
      assertEquals(Wire.VERSION, atServer.version());
      byte[] got = p.serverApp.received.toByteArray();
      assertEquals("hello ", new String(got, 0, 6, StandardCharsets.UTF_8));
      assertArrayEquals(big, java.util.Arrays.copyOfRange(got, 6, got.length));
      // 100 000 bytes travel as seven records of at most 16384 bytes.
      assertEquals(1 + 7, p.serverHandler.opener().sequence());

      p.server.writeAndFlush(text("world"));
      p.shuttle();
      assertEquals("world", p.clientApp.received.toString(StandardCharsets.UTF_8));
      // Nothing on the wire after the handshake is plaintext.
      for (byte[] r : BackToBack.records(p.clientToServer)) {
        assertTrue(Wire.type(r, 0) == Wire.TYPE_HANDSHAKE || Wire.type(r, 0) == Wire.TYPE_DATA);
      }
      assertFalse(new String(concat(p.clientToServer), StandardCharsets.ISO_8859_1).contains("hello"));
    }
  }

  /**
   * Socket reads cut records anywhere: inside the 5-byte header, one byte past it, in the middle of
   * the body, or several records to one read. Every cut yields the same bytes, in order, with no
   * buffer leaked (the class runs with paranoid leak detection).
   */
  @Test
  void recordsCutAcrossReadsAnywhereArriveWhole() {
    int[][] cuts = {{1}, {3, 2, 7}, {4999}, {16_405}, {16_404, 2}, {65_536}, {5, 16_400, 21, 9_000}};
    for (int[] cut : cuts) {
      try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
        byte[] big = random(100_000);
        p.client.writeAndFlush(Unpooled.wrappedBuffer(big, 0, 30_000));
        p.shuttleSplit(cut);
        p.client.writeAndFlush(Unpooled.wrappedBuffer(big, 30_000, 70_000));
        p.shuttleSplit(cut);
        assertArrayEquals(big, p.serverApp.received.toByteArray(), "reads cut as " + java.util.Arrays.toString(cut));
      }
    }
  }

  /**
   * Each buffer the layer writes holds one record, at most 16,405 bytes: within Netty's largest
   * pooled size class (16,896), so neither the sealed buffer nor the socket's direct copy of it is
   * a fresh allocation in a node's low-memory allocator (heap under 512 MiB).
   */
  @Test
  void everyWrittenBufferHoldsOneRecordWithinThePooledSizeClasses() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      p.client.writeAndFlush(Unpooled.wrappedBuffer(random(200_000)));
      int buffers = 0;
      for (ByteBuf b; (b = p.client.readOutbound()) != null; buffers++) {
        try {
          assertTrue(b.readableBytes() <= Wire.HEADER_LENGTH + Wire.TAG_LENGTH + Wire.MAX_PLAINTEXT,
              "a buffer of " + b.readableBytes() + " bytes");
        } finally {
          b.release();
        }
      }
      assertEquals(13, buffers, "200,000 bytes are 13 records, one buffer each");
    }
  }

  @Test
  void anOversizedHeaderArrivingByteByByteIsRefusedOnceWhole() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      byte[] header = new byte[5];
      Wire.writeHeader(header, 0, (int) N, Wire.TYPE_DATA, Wire.MAX_PLAINTEXT + Wire.TAG_LENGTH + 1);
      for (int i = 0; i < 4; i++) {
        p.server.writeInbound(Unpooled.wrappedBuffer(header, i, 1));
        assertTrue(p.server.isOpen(), "a header of " + (i + 1) + " bytes says nothing yet");
      }
      p.server.writeInbound(Unpooled.wrappedBuffer(header, 4, 1));
      assertEquals(AlertReason.OVERSIZE, p.serverApp.closed().reason());
      assertFalse(p.server.isOpen());
    }
  }

  private static byte[] concat(List<byte[]> parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    parts.forEach(out::writeBytes);
    return out.toByteArray();
  }

  @Test
  void aCloseAfterTheHandshakeIsAnAuthenticatedClosingAlert() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      p.client.close();
      p.shuttle();
      RecordLayerClosed closed = p.serverApp.closed();
      assertEquals(AlertReason.CLOSING, closed.reason());
      assertEquals(RecordLayerClosed.Origin.PEER, closed.origin());
      assertEquals("alpha", closed.peerNodeId());
      assertFalse(p.server.isOpen());
    }
  }

  @Test
  void recordsSealedOneEpochBehindAtAndAheadOfTheReceiverOpenAndKeysChangeWithNoMessage() {
    KeySchedule client = MESH.schedule(N);
    KeySchedule server = MESH.schedule(N);
    try (BackToBack p = pair(client, server, CipherSuite.CHACHA20_POLY1305)) {
      p.shuttle();
      int recordsBefore = BackToBack.records(p.clientToServer).size();
      server.advanceTo(N + 1);
      p.client.writeAndFlush(text("a")); // D = Tc - 1 at the server: Kp
      p.shuttle();
      client.advanceTo(N + 1);
      p.client.writeAndFlush(text("b")); // D = Tc: Kn
      p.shuttle();
      client.advanceTo(N + 2);
      p.client.writeAndFlush(text("c")); // D = Tc + 1: R(Kn)
      p.shuttle();
      assertEquals("abc", p.serverApp.received.toString(StandardCharsets.UTF_8));
      assertNull(p.serverApp.closed());
      List<byte[]> records = BackToBack.records(p.clientToServer);
      assertEquals(recordsBefore + 3, records.size());
      assertEquals((int) (N & 0xFFFF), Wire.d(records.get(recordsBefore), 0));
      assertEquals((int) (N + 1 & 0xFFFF), Wire.d(records.get(recordsBefore + 1), 0));
      assertEquals((int) (N + 2 & 0xFFFF), Wire.d(records.get(recordsBefore + 2), 0));
      // Beyond the window: two epochs ahead of the receiver.
      client.advanceTo(N + 3);
      p.client.writeAndFlush(text("d"));
      p.shuttle();
      assertEquals("abc", p.serverApp.received.toString(StandardCharsets.UTF_8));
      assertEquals(AlertReason.FUTURE_EPOCH, p.serverApp.closed().reason());
      // The client opens the server's sealed ALERT (D = the server's Tc, its Tc - 2: beyond the window too).
      assertEquals(AlertReason.STALE_EPOCH, p.clientApp.closed().reason());
    }
  }

  @Test
  void aRecordTwoEpochsBehindTheReceiverIsStale() {
    KeySchedule client = MESH.schedule(N);
    KeySchedule server = MESH.schedule(N);
    try (BackToBack p = pair(client, server, CipherSuite.AES_256_GCM)) {
      p.shuttle();
      server.advanceTo(N + 2);
      p.client.writeAndFlush(text("late"));
      p.shuttle();
      assertEquals(0, p.serverApp.received.size());
      RecordLayerClosed closed = p.serverApp.closed();
      assertEquals(AlertReason.STALE_EPOCH, closed.reason());
      assertEquals(RecordLayerClosed.Origin.LOCAL, closed.origin());
      assertFalse(closed.duringHandshake());
    }
  }

  @Test
  void recordKeysAreDerivedOncePerEpochNotPerRecord() {
    KeySchedule client = MESH.schedule(N);
    KeySchedule server = MESH.schedule(N);
    try (BackToBack p = pair(client, server, CipherSuite.AES_256_GCM)) {
      p.shuttle();
      for (int epoch = 0; epoch < 3; epoch++) {
        for (int i = 0; i < 20; i++) {
          p.client.writeAndFlush(text("x"));
        }
        p.shuttle();
        client.advanceTo(N + epoch + 1);
        server.advanceTo(N + epoch + 1);
      }
      assertEquals(60, p.serverApp.received.size());
      assertEquals(3, p.clientHandler.sealer().derivations());
      assertEquals(3, p.serverHandler.opener().derivations());
    }
  }

  @Test
  void withAShortIntervalRecordsDelayedInsideTheGraceWindowStillOpen() {
    AtomicLong now = new AtomicLong(0);
    Duration interval = Duration.ofMillis(100);
    EpochClock clock = new EpochClock(Instant.EPOCH, interval, now::get);
    now.set(N * 100);
    KeySchedule server = new KeySchedule(clock);
    server.install(MESH.chain.stateAt(N));
    assertEquals(9, server.retainedEpochs());
    KeySchedule client = MESH.schedule(N);
    try (BackToBack p = pair(client, server, CipherSuite.AES_256_GCM)) {
      p.shuttle();
      now.set((N + 8) * 100); // 0.8 s later the client still seals at N (its clock stalled)
      p.client.writeAndFlush(text("delayed"));
      p.shuttle();
      assertEquals("delayed", p.serverApp.received.toString(StandardCharsets.UTF_8));
      now.set((N + 12) * 100); // 1.2 s: beyond the grace window
      p.client.writeAndFlush(text("too late"));
      p.shuttle();
      assertEquals(AlertReason.STALE_EPOCH, p.serverApp.closed().reason());
    }
  }

  @Test
  void aFlippedBitInTheHeaderOrTheBodyIsABadRecordAndNothingReachesTheApplication() {
    for (int offset : new int[] {1, 7, -1}) {
      try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
        p.shuttle();
        p.client.writeAndFlush(text("secret payload"));
        ByteBuf sealed = p.client.readOutbound();
        int at = offset < 0 ? sealed.writerIndex() - 1 : offset;
        sealed.setByte(at, sealed.getByte(at) ^ 1);
        p.server.writeInbound(sealed);
        p.shuttle();
        assertEquals(0, p.serverApp.received.size(), "offset " + offset);
        assertEquals(AlertReason.BAD_RECORD, p.serverApp.closed().reason());
        RecordLayerClosed atClient = p.clientApp.closed();
        assertEquals(AlertReason.BAD_RECORD, atClient.reason(), "the client is told, under the record keys");
        assertEquals(RecordLayerClosed.Origin.PEER, atClient.origin());
      }
    }
  }

  @Test
  void aReplayedOrDroppedRecordInsideTheConnectionIsABadRecord() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      p.client.writeAndFlush(text("once"));
      ByteBuf sealed = p.client.readOutbound();
      p.server.writeInbound(sealed.retainedDuplicate());
      p.server.writeInbound(sealed);
      assertEquals("once", p.serverApp.received.toString(StandardCharsets.UTF_8));
      assertEquals(AlertReason.BAD_RECORD, p.serverApp.closed().reason());
    }
  }

  @Test
  void anOversizedLengthIsRefusedAtTheHeaderBeforeItsBodyArrives() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      byte[] header = new byte[5];
      Wire.writeHeader(header, 0, (int) N, Wire.TYPE_DATA, Wire.MAX_PLAINTEXT + Wire.TAG_LENGTH + 1);
      p.server.writeInbound(Unpooled.wrappedBuffer(header));
      assertEquals(AlertReason.OVERSIZE, p.serverApp.closed().reason());
      assertFalse(p.server.isOpen());
    }
  }

  /** A fresh responder channel, fed raw bytes, as a stranger's connection would. */
  private static BackToBack.Recorder feedResponder(HandshakeSettings settings, byte[] bytes, List<byte[]> answer) {
    BackToBack.Recorder app = new BackToBack.Recorder();
    EmbeddedChannel server = new EmbeddedChannel(KeySynRecordHandler.responder(settings), app);
    server.writeInbound(Unpooled.wrappedBuffer(bytes));
    ByteBuf out;
    while ((out = server.readOutbound()) != null) {
      answer.add(io.netty.buffer.ByteBufUtil.getBytes(out));
      out.release();
    }
    assertFalse(server.isOpen(), "the responder closed the connection");
    server.finishAndReleaseAll();
    return app;
  }

  @Test
  void beforeTheHandshakeOnlyABoundedInitIsAcceptedAtTheHeader() {
    HandshakeSettings server = serverAt(MESH.schedule(N));
    List<byte[]> answer = new java.util.ArrayList<>();
    byte[] tooLong = new byte[5];
    Wire.writeHeader(tooLong, 0, (int) N, Wire.TYPE_HANDSHAKE, Init.MAX_BODY + 1);
    assertEquals(AlertReason.OVERSIZE, feedResponder(server, tooLong, answer).closed().reason());
    assertEquals(Wire.TYPE_CLEAR_ALERT, Wire.type(answer.get(0), 0));
    assertEquals(AlertReason.OVERSIZE.code(), answer.get(0)[5]);

    byte[] data = new byte[5];
    Wire.writeHeader(data, 0, (int) N, Wire.TYPE_DATA, 100);
    BackToBack.Recorder app = feedResponder(server, data, answer);
    assertEquals(AlertReason.UNEXPECTED_RECORD, app.closed().reason());
    assertTrue(app.closed().duringHandshake());
    assertNull(app.completed());

    byte[] garbage = random(64);
    garbage[2] = (byte) 0x77;
    assertEquals(AlertReason.UNEXPECTED_RECORD, feedResponder(server, garbage, answer).closed().reason());
  }

  @Test
  void aV1HelloIsAnsweredWithAV1RefuseUnsupportedNamingVersion2() {
    HandshakeSettings server = serverAt(MESH.schedule(N));
    byte[] hello = HelloFrame.encode((int) N & 0xFFFF, CipherSuite.AES_256_GCM, random(32), "echo",
        MESH.chain.stateAt(N).chainKey(KeyRole.CURRENT));
    List<byte[]> answer = new java.util.ArrayList<>();
    RecordLayerClosed closed = feedResponder(server, hello, answer).closed();
    assertEquals(AlertReason.UNSUPPORTED, closed.reason());
    byte[] refuse = answer.get(0);
    assertEquals(Wire.V1_REFUSE, Wire.type(refuse, 0));
    assertEquals(Wire.V1_UNSUPPORTED, refuse[5]);
    assertTrue(new String(refuse, 6, refuse.length - 6, StandardCharsets.US_ASCII).contains("protocol 2"));
  }

  @Test
  void aV2ClientToldByAV1ServerReportsUnsupported() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      ByteBuf init = p.client.readOutbound();
      init.release();
      // What a v1 server answers an unknown frame type with: REFUSE malformed.
      byte[] refuse = {0, 0, 0x12, 0, 4, 4, 'b', 'a', 'd'};
      p.client.writeInbound(Unpooled.wrappedBuffer(refuse));
      RecordLayerClosed closed = p.clientApp.closed();
      assertEquals(AlertReason.UNSUPPORTED, closed.reason());
      assertTrue(closed.detail().contains("protocol 1"), closed.detail());
    }
  }

  @Test
  void aReplayedInitIsRefusedAsReplay() {
    HandshakeSettings server = serverAt(MESH.schedule(N));
    byte[] init;
    try (BackToBack p = new BackToBack(clientAt(MESH.schedule(N)), "beta", CipherSuite.AES_256_GCM, server)) {
      p.shuttle();
      assertNotNull(p.serverApp.completed());
      init = BackToBack.records(p.clientToServer).get(0);
    }
    List<byte[]> answer = new java.util.ArrayList<>();
    BackToBack.Recorder app = feedResponder(server, init, answer);
    assertEquals(AlertReason.REPLAY, app.closed().reason());
    assertEquals(AlertReason.REPLAY.code(), answer.get(0)[5]);
  }

  @Test
  void anInitForAnotherNodeIsRefusedAndTheClientIsTold() {
    try (BackToBack p = new BackToBack(clientAt(MESH.schedule(N)), "gamma", CipherSuite.AES_256_GCM,
        serverAt(MESH.schedule(N)))) {
      p.client.writeAndFlush(text("for gamma"));
      p.shuttle();
      assertEquals(AlertReason.WRONG_DESTINATION, p.serverApp.closed().reason());
      RecordLayerClosed atClient = p.clientApp.closed();
      assertEquals(AlertReason.WRONG_DESTINATION, atClient.reason());
      assertEquals(RecordLayerClosed.Origin.PEER_UNAUTHENTICATED, atClient.origin());
      assertEquals(0, p.serverApp.received.size());
    }
  }

  @Test
  void aMemberWithoutAValidCertificateIsRefusedAndGetsNothingThrough() {
    TestIdentities foreign = new TestIdentities("foreign");
    HandshakeSettings client = MESH.settings(foreign.node("alpha"), MESH.schedule(N));
    try (BackToBack p = new BackToBack(client, "beta", CipherSuite.AES_256_GCM, serverAt(MESH.schedule(N)))) {
      ChannelFuture write = p.client.writeAndFlush(text("let me in"));
      p.shuttle();
      assertEquals(0, p.serverApp.received.size());
      assertNull(p.serverApp.completed());
      assertEquals(AlertReason.BAD_CERTIFICATE, p.serverApp.closed().reason());
      RecordLayerClosed atClient = p.clientApp.closed();
      assertEquals(AlertReason.BAD_CERTIFICATE, atClient.reason());
      assertEquals(RecordLayerClosed.Origin.PEER, atClient.origin(), "sealed under the record keys");
      assertTrue(write.isDone());
    }
  }

  @Test
  void aServerWithAForeignCertificateIsRefusedByTheClientBeforeAnyDataLeaves() {
    TestIdentities foreign = new TestIdentities("foreign");
    HandshakeSettings server = MESH.settings(foreign.node("beta"), MESH.schedule(N))
        .withReplayFilter(new ReplayFilter(N - 5, 0, 100));
    try (BackToBack p = new BackToBack(clientAt(MESH.schedule(N)), "beta", CipherSuite.AES_256_GCM, server)) {
      ChannelFuture write = p.client.writeAndFlush(text("secret"));
      p.shuttle();
      assertEquals(AlertReason.BAD_CERTIFICATE, p.clientApp.closed().reason());
      assertFalse(write.isSuccess(), "the queued write failed, it never left");
      assertInstanceOf(RecordLayerException.class, write.cause());
      RecordLayerClosed atServer = p.serverApp.closed();
      assertEquals(AlertReason.BAD_CERTIFICATE, atServer.reason());
      assertEquals(RecordLayerClosed.Origin.PEER, atServer.origin(), "sealed under the client's handshake key");
      for (byte[] r : BackToBack.records(p.clientToServer)) {
        assertTrue(Wire.type(r, 0) != Wire.TYPE_DATA);
      }
    }
  }

  @Test
  void aCertificateHolderWithoutTheChainKeyIsRefusedAtTheMac() {
    TestIdentities otherChain = new TestIdentities("other");
    HandshakeSettings client = MESH.settings(ALPHA, otherChain.schedule(N));
    try (BackToBack p = new BackToBack(client, "beta", CipherSuite.AES_256_GCM, serverAt(MESH.schedule(N)))) {
      p.shuttle();
      assertEquals(AlertReason.BAD_MAC, p.serverApp.closed().reason());
      assertEquals(AlertReason.BAD_MAC, p.clientApp.closed().reason());
      assertEquals(2, BackToBack.records(p.serverToClient).size() + 1, "only a clear ALERT came back, no RESP");
    }
  }

  @Test
  void aConnectionWhoseSequenceWouldWrapIsClosed() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      p.clientHandler.sealer().skipTo(RecordSealer.DATA_LIMIT);
      ChannelFuture write = p.client.writeAndFlush(text("one too many"));
      assertFalse(write.isSuccess());
      assertEquals(AlertReason.SEQUENCE_EXHAUSTED, p.clientApp.closed().reason());
      assertFalse(p.client.isOpen());
    }
  }

  @Test
  void aSilentPeerIsClosedAfterTheHandshakeTimeout() {
    HandshakeSettings server = serverAt(MESH.schedule(N)).withTimeout(Duration.ofSeconds(2));
    BackToBack.Recorder app = new BackToBack.Recorder();
    EmbeddedChannel ch = new EmbeddedChannel(KeySynRecordHandler.responder(server), app);
    ch.advanceTimeBy(1, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertTrue(ch.isOpen());
    ch.advanceTimeBy(2, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertEquals(AlertReason.TIMEOUT, app.closed().reason());
    assertFalse(ch.isOpen());
    ch.finishAndReleaseAll();
  }

  @Test
  void writesQueuedBeforeTheHandshakeCountTowardWritability() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      assertTrue(p.client.isWritable());
      p.client.write(Unpooled.wrappedBuffer(new byte[256 * 1024]));
      assertFalse(p.client.isWritable(), "a writer that honours writability stops here");
      p.client.flush();
      p.shuttle();
      assertEquals(256 * 1024, p.serverApp.received.size());
      assertTrue(p.client.isWritable());
    }
  }

  @Test
  void aDataRecordShorterThanItsTagIsMalformed() {
    try (BackToBack p = pair(MESH.schedule(N), MESH.schedule(N), CipherSuite.AES_256_GCM)) {
      p.shuttle();
      byte[] header = new byte[5];
      Wire.writeHeader(header, 0, (int) N, Wire.TYPE_DATA, Wire.TAG_LENGTH);
      p.server.writeInbound(Unpooled.wrappedBuffer(header));
      assertEquals(AlertReason.MALFORMED, p.serverApp.closed().reason());
    }
  }

  @Test
  void aClientWithoutKeyStateSendsNothingButAClearNotReady() {
    HandshakeSettings client = MESH.settings(ALPHA, new KeySchedule());
    try (BackToBack p = new BackToBack(client, "beta", CipherSuite.AES_256_GCM, serverAt(MESH.schedule(N)))) {
      p.shuttle();
      assertEquals(AlertReason.NOT_READY, p.clientApp.closed().reason());
      List<byte[]> sent = BackToBack.records(p.clientToServer);
      assertEquals(1, sent.size());
      assertEquals(Wire.TYPE_CLEAR_ALERT, Wire.type(sent.get(0), 0));
      // The responder was waiting for INIT: a CLEAR_ALERT is not one.
      assertEquals(AlertReason.UNEXPECTED_RECORD, p.serverApp.closed().reason());
    }
  }

  /**
   * Arbitrary bytes in arbitrary chunks, as a stranger would send them: the responder never
   * throws, never passes anything up, never completes a handshake, and when it closes it says why.
   */
  @Test
  void arbitraryBytesNeverReachTheApplicationAndEveryCloseHasAReason() {
    java.util.Random random = new java.util.Random(15);
    HandshakeSettings server = serverAt(MESH.schedule(N));
    for (int run = 0; run < 300; run++) {
      byte[] bytes = new byte[random.nextInt(3000)];
      random.nextBytes(bytes);
      if (run % 3 == 0 && bytes.length > 5) {
        // A plausible header: HANDSHAKE within INIT's bounds, so the body is parsed too.
        Wire.writeHeader(bytes, 0, (int) N, Wire.TYPE_HANDSHAKE, Math.min(bytes.length - 5, Init.MAX_BODY));
        bytes[5] = 1;
      }
      BackToBack.Recorder app = new BackToBack.Recorder();
      EmbeddedChannel ch = new EmbeddedChannel(KeySynRecordHandler.responder(server), app);
      int pos = 0;
      while (pos < bytes.length && ch.isOpen()) {
        int n = Math.min(bytes.length - pos, 1 + random.nextInt(600));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, pos, n));
        pos += n;
      }
      assertEquals(0, app.reads, "run " + run);
      assertNull(app.completed(), "run " + run);
      if (!ch.isOpen()) {
        assertNotNull(app.closed(), "run " + run + " closed without a reason");
      }
      ch.finishAndReleaseAll();
    }
  }

  /** The same for an initiator reading a forged answer to its INIT: never data, never a verified peer. */
  @Test
  void arbitraryAnswersToAnInitNeverReachTheApplication() {
    java.util.Random random = new java.util.Random(16);
    for (int run = 0; run < 200; run++) {
      byte[] bytes = new byte[random.nextInt(5000)];
      random.nextBytes(bytes);
      if (run % 2 == 0 && bytes.length > 100) {
        // A plausible RESP header and message type, so the body is parsed and opened too.
        Wire.writeHeader(bytes, 0, (int) N, Wire.TYPE_HANDSHAKE, Math.min(bytes.length - 5, 4257));
        bytes[5] = 2;
        bytes[6] = 2;
      }
      BackToBack.Recorder app = new BackToBack.Recorder();
      EmbeddedChannel ch = new EmbeddedChannel(
          KeySynRecordHandler.initiator(clientAt(MESH.schedule(N)), "beta", CipherSuite.AES_256_GCM), app);
      ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
      int pos = 0;
      while (pos < bytes.length && ch.isOpen()) {
        int n = Math.min(bytes.length - pos, 1 + random.nextInt(900));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, pos, n));
        pos += n;
      }
      assertEquals(0, app.reads, "run " + run);
      assertNull(app.completed(), "run " + run);
      if (!ch.isOpen()) {
        assertNotNull(app.closed(), "run " + run + " closed without a reason");
      }
      // Nothing but INIT (and an ALERT) left: the queued bytes were never sealed and sent.
      ByteBuf out;
      while ((out = ch.readOutbound()) != null) {
        int type = out.readableBytes() >= 3 ? out.getUnsignedByte(out.readerIndex() + 2) : -1;
        out.release();
        assertTrue(type == Wire.TYPE_HANDSHAKE || type == Wire.TYPE_CLEAR_ALERT || type == Wire.TYPE_ALERT || type == -1,
            "run " + run + " sent type " + type);
      }
      ch.finishAndReleaseAll();
    }
  }
}
