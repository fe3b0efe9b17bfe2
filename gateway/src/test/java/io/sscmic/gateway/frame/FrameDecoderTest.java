package io.sscmic.gateway.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private final List<byte[]> frames = new ArrayList<>();
  private final FrameDecoder decoder = new FrameDecoder((d, type, frame) -> frames.add(frame));

  private static byte[] frame(int d, FrameType type, int bodyLength) {
    byte[] f = new byte[Protocol.HEADER_LENGTH + bodyLength];
    FrameHeader.write(f, d, type, bodyLength);
    for (int i = Protocol.HEADER_LENGTH; i < f.length; i++) {
      f[i] = (byte) i;
    }
    return f;
  }

  @Test
  void framesSplitAcrossChunksAtEveryByteComeOutWhole() throws Exception {
    byte[] a = frame(7, FrameType.DATA, 100);
    byte[] b = frame(8, FrameType.END, 16);
    Buffer stream = Buffer.buffer(a).appendBytes(b);
    for (int cut = 0; cut <= stream.length(); cut++) {
      frames.clear();
      FrameDecoder d = new FrameDecoder((dd, t, f) -> frames.add(f));
      d.feed(stream.getBuffer(0, cut));
      d.feed(stream.getBuffer(cut, stream.length()));
      assertEquals(2, frames.size(), "cut at " + cut);
      assertEquals(Buffer.buffer(a), Buffer.buffer(frames.get(0)));
      assertEquals(Buffer.buffer(b), Buffer.buffer(frames.get(1)));
      assertFalse(d.hasPartial());
    }
  }

  @Test
  void anOversizedLengthIsRefusedFromTheHeaderAlone() {
    byte[] header = {0, 1, 0x01, (byte) 0xFF, (byte) 0xFF};
    ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(header)));
    assertEquals(FailureReason.OVERSIZE, e.reason());
    assertTrue(e.getMessage().contains("65535"), e.getMessage());
  }

  @Test
  void theLargestDataFrameIsAccepted() throws Exception {
    decoder.feed(Buffer.buffer(frame(0, FrameType.DATA, Protocol.MAX_PAYLOAD + Protocol.TAG_LENGTH)));
    assertEquals(1, frames.size());
  }

  @Test
  void oneByteOverTheLargestIsOversize() {
    byte[] f = frame(0, FrameType.DATA, Protocol.MAX_PAYLOAD + Protocol.TAG_LENGTH + 1);
    assertEquals(FailureReason.OVERSIZE,
        assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(f))).reason());
  }

  @Test
  void anUnknownTypeIsMalformed() {
    byte[] header = {0, 1, 0x7F, 0, 16};
    ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(header)));
    assertEquals(FailureReason.MALFORMED, e.reason());
    assertTrue(e.getMessage().contains("0x7f"), e.getMessage());
  }

  @Test
  void aBodyShorterThanTheTagIsMalformed() {
    byte[] header = {0, 1, 0x01, 0, 15};
    assertEquals(FailureReason.MALFORMED,
        assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(header))).reason());
  }

  @Test
  void afterARefusalNothingMoreIsDelivered() throws Exception {
    byte[] bad = {0, 1, 0x7F, 0, 16};
    assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(bad)));
    decoder.feed(Buffer.buffer(frame(0, FrameType.END, 16)));
    assertTrue(frames.isEmpty());
  }

  @Test
  void everyFrameTypeRoundTripsItsCode() {
    for (FrameType t : FrameType.values()) {
      assertEquals(t, FrameType.fromCode(t.code()));
    }
  }

  /**
   * Issue 14 item 2: before a hello verifies only a HELLO header is taken. The header of a large
   * frame of another type ({@code 00 00 01 40 10}: DATA, 16,400 bytes) is refused from its 5 bytes,
   * and nothing of its announced length is held.
   */
  @Test
  void aHandshakeDecoderRefusesAnyOtherTypeAtItsHeader() {
    decoder.expect(java.util.EnumSet.of(FrameType.HELLO));
    byte[] header = {0, 0, 0x01, 0x40, 0x10};
    ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(header)));
    assertEquals(FailureReason.MALFORMED, e.reason());
    assertTrue(e.getMessage().contains("expected HELLO, got a DATA header"), e.getMessage());
    assertFalse(decoder.hasPartial(), "nothing buffered");
  }

  @Test
  void aHandshakeDecoderHoldsAtMostOneHello() throws Exception {
    decoder.expect(java.util.EnumSet.of(FrameType.HELLO));
    assertEquals(327, Protocol.HEADER_LENGTH + HelloFrame.MAX_BODY, "the largest hello, as docs/PROTOCOL.md says");
    byte[] over = {0, 0, 0x10, 0x01, 0x43}; // 323 bytes
    assertEquals(FailureReason.OVERSIZE,
        assertThrows(ProtocolException.class, () -> decoder.feed(Buffer.buffer(over))).reason());
    FrameDecoder d = new FrameDecoder((dd, t, f) -> frames.add(f));
    d.expect(java.util.EnumSet.of(FrameType.HELLO));
    byte[] largest = frame(0, FrameType.HELLO, HelloFrame.MAX_BODY);
    d.feed(Buffer.buffer(java.util.Arrays.copyOf(largest, 100)));
    assertTrue(d.hasPartial());
    d.feed(Buffer.buffer(java.util.Arrays.copyOfRange(largest, 100, largest.length)));
    assertEquals(1, frames.size());
  }

  @Test
  void anEmptyDataFrameIsTheKeyConfirmationAndDecodes() throws Exception {
    decoder.feed(Buffer.buffer(frame(0, FrameType.DATA, Protocol.TAG_LENGTH)));
    assertEquals(1, frames.size());
  }
}
