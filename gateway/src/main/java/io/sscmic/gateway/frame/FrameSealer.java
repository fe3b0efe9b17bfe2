package io.sscmic.gateway.frame;

import io.sscmic.gateway.vertx.VertxInternals;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

/**
 * Seals the frames of one direction of one connection under the sender's current epoch: D is
 * read from the key state for every frame, so a long-lived stream moves to the new key at the
 * tick without a pause. The traffic key is derived once per epoch, not per frame. Not thread-safe.
 */
public final class FrameSealer {
  private final KeySchedule schedule;
  private final TrafficKeys keys;
  private final Direction direction;
  private final byte[] nonce = new byte[FrameAead.NONCE_LENGTH];
  private long seq;
  private long keyEpoch = Long.MIN_VALUE;
  private FrameAead aead;

  public FrameSealer(KeySchedule schedule, TrafficKeys keys, Direction direction) {
    this.schedule = schedule;
    this.keys = keys;
    this.direction = direction;
  }

  /**
   * Seals {@code plain[from, to)} into as many DATA frames as it needs (at most
   * {@link Protocol#MAX_PAYLOAD} bytes each), laid out back to back in one buffer: one socket write
   * for the whole chunk. Reads the plaintext in place when the buffer is backed by an array.
   */
  public Buffer data(Buffer plain, int from, int to) {
    int len = to - from;
    if (len < 1) {
      throw new IllegalArgumentException("DATA needs at least 1 byte");
    }
    byte[] in;
    int inOff;
    ByteBuf bytes = VertxInternals.byteBuf(plain);
    if (bytes.hasArray()) {
      in = bytes.array();
      inOff = bytes.arrayOffset() + bytes.readerIndex() + from;
    } else {
      in = plain.getBytes(from, to);
      inOff = 0;
    }
    int frames = (len + Protocol.MAX_PAYLOAD - 1) / Protocol.MAX_PAYLOAD;
    byte[] out = new byte[len + frames * (Protocol.HEADER_LENGTH + Protocol.TAG_LENGTH)];
    int outOff = 0;
    for (int off = 0; off < len; off += Protocol.MAX_PAYLOAD) {
      int n = Math.min(Protocol.MAX_PAYLOAD, len - off);
      outOff += seal(FrameType.DATA, in, inOff + off, n, out, outOff);
    }
    return wrap(out);
  }

  /**
   * An empty DATA frame: the client's key confirmation, sent right after it verified ACCEPT. It
   * proves the client holds the chain key (a recorded hello cannot produce it), and the server
   * connects to its local service only once it has opened it.
   */
  public Buffer confirm() {
    return wrap(seal(FrameType.DATA, new byte[0]));
  }

  public Buffer end() {
    return wrap(seal(FrameType.END, new byte[0]));
  }

  public Buffer error(FailureReason reason, String text) {
    byte[] msg = Texts.truncate(text, Protocol.MAX_REASON_TEXT);
    byte[] plain = new byte[1 + msg.length];
    plain[0] = (byte) reason.code();
    System.arraycopy(msg, 0, plain, 1, msg.length);
    return wrap(seal(FrameType.ERROR, plain));
  }

  /** Frames sealed so far in this direction. */
  public long sequence() {
    return seq;
  }

  byte[] seal(FrameType type, byte[] plain) {
    byte[] out = new byte[Protocol.HEADER_LENGTH + plain.length + Protocol.TAG_LENGTH];
    seal(type, plain, 0, plain.length, out, 0);
    return out;
  }

  /** Seals one frame of {@code in[inOff, inOff + len)} into {@code out} at {@code outOff}; returns its size. */
  private int seal(FrameType type, byte[] in, int inOff, int len, byte[] out, int outOff) {
    KeyState state = schedule.current();
    if (state.epoch() != keyEpoch) {
      aead = keys.aead(state.chainKey(KeyRole.CURRENT), direction);
      keyEpoch = state.epoch();
    }
    int body = len + Protocol.TAG_LENGTH;
    FrameHeader.write(out, outOff, state.tc(), type, body);
    TrafficKeys.nonce(seq++, nonce);
    aead.seal(nonce, out, outOff, Protocol.HEADER_LENGTH, in, inOff, len, out, outOff + Protocol.HEADER_LENGTH);
    return Protocol.HEADER_LENGTH + body;
  }

  /** Hands the array to Vert.x without the copy {@code Buffer.buffer(byte[])} makes. */
  static Buffer wrap(byte[] bytes) {
    return VertxInternals.buffer(Unpooled.wrappedBuffer(bytes));
  }
}
