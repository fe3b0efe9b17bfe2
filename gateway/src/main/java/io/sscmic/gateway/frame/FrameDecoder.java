package io.sscmic.gateway.frame;

import io.vertx.core.buffer.Buffer;

/**
 * Splits a byte stream into whole frames. Checks the header (known type, body length within the
 * type's bounds) as soon as its 5 bytes arrive, so an oversized length is refused before any of
 * its body is buffered. Holds at most one partial frame. Not thread-safe.
 */
public final class FrameDecoder {
  /** Receives each whole frame: header and body in one array (the header is the AEAD's AAD). */
  @FunctionalInterface
  public interface Sink {
    void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException;
  }

  private Sink sink;
  private Buffer partial;
  private boolean stopped;

  public FrameDecoder(Sink sink) {
    this.sink = sink;
  }

  /** Replaces the sink; frames still in the current chunk go to the new one. */
  public void sink(Sink next) {
    this.sink = next;
  }

  /** Drops everything that follows (after a refusal). */
  public void stop() {
    stopped = true;
    partial = null;
  }

  /** True when some bytes of an unfinished frame are held. */
  public boolean hasPartial() {
    return partial != null && partial.length() > 0;
  }

  public void feed(Buffer chunk) throws ProtocolException {
    if (stopped) {
      return;
    }
    Buffer buf = chunk;
    if (partial != null) {
      buf = Buffer.buffer(partial.length() + chunk.length()).appendBuffer(partial).appendBuffer(chunk);
      partial = null;
    }
    int pos = 0;
    int end = buf.length();
    while (!stopped && end - pos >= Protocol.HEADER_LENGTH) {
      int d = buf.getUnsignedShort(pos);
      int code = buf.getUnsignedByte(pos + 2);
      int length = buf.getUnsignedShort(pos + 3);
      FrameType type = FrameType.fromCode(code);
      if (type == null) {
        stop();
        throw new ProtocolException(FailureReason.MALFORMED, String.format("unknown frame type 0x%02x", code));
      }
      if (length > type.maxBody()) {
        stop();
        throw new ProtocolException(FailureReason.OVERSIZE,
            type + " frame body of " + length + " bytes exceeds " + type.maxBody());
      }
      if (length < type.minBody()) {
        stop();
        throw new ProtocolException(FailureReason.MALFORMED,
            type + " frame body of " + length + " bytes is shorter than " + type.minBody());
      }
      int total = Protocol.HEADER_LENGTH + length;
      if (end - pos < total) {
        break;
      }
      byte[] frame = buf.getBytes(pos, pos + total);
      pos += total;
      sink.onFrame(d, type, frame);
    }
    if (!stopped && pos < end) {
      partial = buf.getBuffer(pos, end);
    }
  }
}
