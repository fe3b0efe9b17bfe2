package io.sscmic.gateway.frame;

import io.sscmic.gateway.vertx.VertxInternals;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Splits a byte stream into whole frames. Checks the header (known type, body length within the
 * type's bounds) as soon as its 5 bytes arrive, so an oversized length is refused before any of
 * its body is buffered. Frames that lie whole inside a chunk are handed over in place, without a
 * copy; only a frame split across chunks is assembled, in one array of at most one frame that is
 * let go as soon as nothing is pending. Not thread-safe.
 */
public final class FrameDecoder {
  /** Receives each whole frame, header and body (the header is the AEAD's AAD). */
  public interface Sink {
    /**
     * The frame is {@code buf[offset, offset + length)}; the region belongs to the decoder and is
     * only valid during the call.
     */
    void onFrame(int d, FrameType type, byte[] buf, int offset, int length) throws ProtocolException;

    /** After the last whole frame of a chunk: the moment to write out what its frames produced. */
    default void onChunkEnd() {
    }
  }

  /** A sink that keeps its frames: each one arrives as its own array. */
  @FunctionalInterface
  public interface CopyingSink {
    void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException;
  }

  private Sink sink;
  /** The frame types accepted now; any other is refused at its header, before its body is buffered. */
  private Set<FrameType> expected = ALL;
  private static final Set<FrameType> ALL = Collections.unmodifiableSet(EnumSet.allOf(FrameType.class));
  /** The frame split across chunks, assembled here; null when nothing is pending. */
  private byte[] pending;
  private int pendingLength;
  private boolean stopped;

  public FrameDecoder(Sink sink) {
    this.sink = sink;
  }

  public FrameDecoder(CopyingSink sink) {
    this(copying(sink));
  }

  /** Adapts a sink that keeps frames to the in-place interface. */
  public static Sink copying(CopyingSink sink) {
    return (d, type, buf, offset, length) -> sink.onFrame(d, type, Arrays.copyOfRange(buf, offset, offset + length));
  }

  /** Replaces the sink; frames still in the current chunk go to the new one. */
  public void sink(Sink next) {
    this.sink = next;
  }

  /**
   * Accepts only {@code types} from the next header on: a handshake expects HELLO (server) or
   * ACCEPT and REFUSE (client), a stream only sealed frames. A header of another type is refused
   * as {@code malformed} as soon as its 5 bytes arrive, so that an unauthenticated peer cannot make
   * the decoder buffer the larger body another type would allow.
   */
  public void expect(Set<FrameType> types) {
    expected = Collections.unmodifiableSet(EnumSet.copyOf(types));
  }

  /** Drops everything that follows (after a refusal). */
  public void stop() {
    stopped = true;
    pending = null;
    pendingLength = 0;
  }

  /** True when some bytes of an unfinished frame are held. */
  public boolean hasPartial() {
    return pendingLength > 0;
  }

  public void feed(Buffer chunk) throws ProtocolException {
    if (stopped) {
      return;
    }
    ByteBuf bytes = VertxInternals.byteBuf(chunk);
    if (bytes.hasArray()) {
      feed(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
    } else {
      feed(chunk.getBytes(), 0, chunk.length());
    }
  }

  private void feed(byte[] buf, int from, int length) throws ProtocolException {
    int pos = from;
    int end = from + length;
    try {
      if (pendingLength > 0) {
        pos = completePending(buf, pos, end);
        if (pos < 0) {
          return;
        }
      }
      while (!stopped && end - pos >= Protocol.HEADER_LENGTH) {
        int total = frameLength(buf, pos);
        if (end - pos < total) {
          break;
        }
        deliver(buf, pos, total);
        pos += total;
      }
      if (!stopped && pos < end) {
        hold(buf, pos, end - pos);
      }
    } finally {
      if (!stopped) {
        sink.onChunkEnd();
      }
    }
  }

  /**
   * Adds the chunk's first bytes to the pending frame; delivers it once whole.
   *
   * @return where the rest of the chunk starts, or -1 when the chunk went into the pending frame
   */
  private int completePending(byte[] buf, int pos, int end) throws ProtocolException {
    if (pendingLength < Protocol.HEADER_LENGTH) {
      int take = Math.min(Protocol.HEADER_LENGTH - pendingLength, end - pos);
      System.arraycopy(buf, pos, pending, pendingLength, take);
      pendingLength += take;
      pos += take;
      if (pendingLength < Protocol.HEADER_LENGTH) {
        return -1;
      }
    }
    int total = frameLength(pending, 0);
    if (pending.length < total) {
      pending = Arrays.copyOf(pending, total);
    }
    int take = Math.min(total - pendingLength, end - pos);
    System.arraycopy(buf, pos, pending, pendingLength, take);
    pendingLength += take;
    pos += take;
    if (pendingLength < total) {
      return -1;
    }
    byte[] whole = pending;
    pending = null;
    pendingLength = 0;
    deliver(whole, 0, total);
    return pos;
  }

  private void hold(byte[] buf, int pos, int length) {
    int capacity = length < Protocol.HEADER_LENGTH ? Protocol.HEADER_LENGTH : frameLengthUnchecked(buf, pos);
    pending = new byte[Math.max(capacity, length)];
    System.arraycopy(buf, pos, pending, 0, length);
    pendingLength = length;
  }

  private void deliver(byte[] buf, int offset, int length) throws ProtocolException {
    sink.onFrame(buf[offset] << 8 & 0xFF00 | buf[offset + 1] & 0xFF, FrameType.fromCode(buf[offset + 2] & 0xFF),
        buf, offset, length);
  }

  /** Header and body length of the frame at {@code pos}, after checking its type and bounds. */
  private int frameLength(byte[] buf, int pos) throws ProtocolException {
    int code = buf[pos + 2] & 0xFF;
    int length = buf[pos + 3] << 8 & 0xFF00 | buf[pos + 4] & 0xFF;
    FrameType type = FrameType.fromCode(code);
    if (type == null) {
      stop();
      throw new ProtocolException(FailureReason.MALFORMED, String.format("unknown frame type 0x%02x", code));
    }
    if (!expected.contains(type)) {
      stop();
      throw new ProtocolException(FailureReason.MALFORMED, "expected " + describe(expected) + ", got a " + type
          + " header (refused before its body)");
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
    return Protocol.HEADER_LENGTH + length;
  }

  private static String describe(Set<FrameType> types) {
    return types.size() == 1 ? types.iterator().next().toString() : types.toString();
  }

  /** Only for a header already checked by {@link #frameLength}. */
  private static int frameLengthUnchecked(byte[] buf, int pos) {
    return Protocol.HEADER_LENGTH + (buf[pos + 3] << 8 & 0xFF00 | buf[pos + 4] & 0xFF);
  }
}
