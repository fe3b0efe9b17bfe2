package io.sscmic.gateway.record;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.Alerts;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.handshake.Wire;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;

/**
 * Seals the records of one direction of one connection under the sender's current epoch: D is the
 * Tc of the key state read for every record, so a long-lived connection moves to the next key at
 * the tick with no message. The sequence number counts every sealed record of the direction and
 * never resets; DATA stops two short of 2^64 and ALERT one short, so no nonce ever repeats and a
 * connection that would wrap is closed. Not thread-safe (one event loop).
 */
public final class RecordSealer {
  /** DATA is sealed only below this sequence number (unsigned); the last two are kept for ALERT. */
  static final long DATA_LIMIT = -2L;
  static final long ALERT_LIMIT = -1L;
  private final KeySchedule schedule;
  private final RecordKeys keys;
  private final byte[] nonce = new byte[FrameAead.NONCE_LENGTH];
  private byte[] scratch;
  private long seq;
  private long epoch = Long.MIN_VALUE;
  private RecordKeys.EpochKey current;

  public RecordSealer(KeySchedule schedule, byte[] connectionSecret, CipherSuite suite, AeadProvider provider,
                      Direction direction) {
    this.schedule = schedule;
    this.keys = new RecordKeys(connectionSecret, suite, provider, direction);
  }

  /** Records sealed so far in this direction. */
  public long sequence() {
    return seq;
  }

  /** Moves the counter (tests of the wrap rule only). */
  void skipTo(long sequence) {
    this.seq = sequence;
  }

  int derivations() {
    return keys.derivations();
  }

  /**
   * Seals the readable bytes of {@code plain} (not released, reader index not moved) into as many
   * DATA records as needed, back to back in one heap buffer: one socket write for the chunk.
   */
  public ByteBuf sealData(ByteBufAllocator alloc, ByteBuf plain) throws RecordFailure {
    int len = plain.readableBytes();
    int records = (len + Wire.MAX_PLAINTEXT - 1) / Wire.MAX_PLAINTEXT;
    int total = len + records * (Wire.HEADER_LENGTH + Wire.TAG_LENGTH);
    ByteBuf out = alloc.heapBuffer(total, total);
    try {
      byte[] in;
      int inOff;
      if (plain.hasArray()) {
        in = plain.array();
        inOff = plain.arrayOffset() + plain.readerIndex();
      } else {
        in = null;
        inOff = 0;
      }
      byte[] dst = out.array();
      int dstOff = out.arrayOffset() + out.writerIndex();
      for (int off = 0; off < len; off += Wire.MAX_PLAINTEXT) {
        int n = Math.min(Wire.MAX_PLAINTEXT, len - off);
        if (in == null) {
          if (scratch == null) {
            scratch = new byte[Wire.MAX_PLAINTEXT];
          }
          plain.getBytes(plain.readerIndex() + off, scratch, 0, n);
          dstOff += seal(Wire.TYPE_DATA, scratch, 0, n, dst, dstOff);
        } else {
          dstOff += seal(Wire.TYPE_DATA, in, inOff + off, n, dst, dstOff);
        }
      }
      out.writerIndex(out.writerIndex() + total);
      return out;
    } catch (RecordFailure | RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /** An ALERT record for {@code reason} (its fixed description as text); null if the counter is spent. */
  public ByteBuf sealAlert(ByteBufAllocator alloc, AlertReason reason) {
    byte[] plain = Alerts.encode(reason);
    int total = Wire.HEADER_LENGTH + plain.length + Wire.TAG_LENGTH;
    ByteBuf out = alloc.heapBuffer(total, total);
    try {
      seal(Wire.TYPE_ALERT, plain, 0, plain.length, out.array(), out.arrayOffset() + out.writerIndex());
      out.writerIndex(out.writerIndex() + total);
      return out;
    } catch (RecordFailure e) {
      out.release();
      return null;
    }
  }

  /** One whole record of {@code type} around {@code plain} (tests and vectors). */
  public byte[] seal(int type, byte[] plain) throws RecordFailure {
    byte[] out = new byte[Wire.HEADER_LENGTH + plain.length + Wire.TAG_LENGTH];
    seal(type, plain, 0, plain.length, out, 0);
    return out;
  }

  /** Seals one record of {@code in[inOff, inOff + len)} into {@code out} at {@code outOff}; returns its size. */
  public int seal(int type, byte[] in, int inOff, int len, byte[] out, int outOff) throws RecordFailure {
    long limit = type == Wire.TYPE_ALERT ? ALERT_LIMIT : DATA_LIMIT;
    if (Long.compareUnsigned(seq, limit) >= 0) {
      throw new RecordFailure(AlertReason.SEQUENCE_EXHAUSTED, "record sequence number " + Long.toUnsignedString(seq));
    }
    KeyState state = schedule.current();
    if (state.epoch() != epoch) {
      current = keys.forEpoch(state.epoch(), state.chainKey(KeyRole.CURRENT));
      epoch = state.epoch();
    }
    int body = len + Wire.TAG_LENGTH;
    Wire.writeHeader(out, outOff, state.tc(), type, body);
    RecordKeys.nonce(current.iv(), seq++, nonce);
    current.aead().seal(nonce, out, outOff, Wire.HEADER_LENGTH, in, inOff, len, out, outOff + Wire.HEADER_LENGTH);
    return Wire.HEADER_LENGTH + body;
  }

  public void erase() {
    keys.erase();
    current = null;
  }
}
