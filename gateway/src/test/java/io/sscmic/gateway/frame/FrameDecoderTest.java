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
    byte[] header = {0, 1, 0x01, 0, 5};
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
}
