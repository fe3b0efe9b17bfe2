package io.sscmic.gateway.record;

import io.sscmic.gateway.cipher.AeadAuthenticationException;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.handshake.Wire;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;

/**
 * Opens the records of one direction of one connection. The chain key is the one the receiver
 * rule picks for the record's D (KeySchedule.keyFor: Kn, Kp, R(Kn), or a key kept for the grace
 * window; anything else is {@code stale_epoch} / {@code future_epoch}); the nonce uses the next
 * implicit sequence number, so a dropped, reordered, replayed or altered record fails as
 * {@code bad_record}. Not thread-safe.
 */
public final class RecordOpener {
  private final KeySchedule schedule;
  private final RecordKeys keys;
  private final byte[] nonce = new byte[FrameAead.NONCE_LENGTH];
  private long seq;

  public RecordOpener(KeySchedule schedule, byte[] connectionSecret, CipherSuite suite, AeadProvider provider,
                      Direction direction) {
    this.schedule = schedule;
    this.keys = new RecordKeys(connectionSecret, suite, provider, direction);
  }

  /** Records opened so far in this direction. */
  public long sequence() {
    return seq;
  }

  int derivations() {
    return keys.derivations();
  }

  /** The plaintext length of a sealed record of {@code recordLength} bytes (header included). */
  public static int plainLength(int recordLength) {
    return recordLength - Wire.HEADER_LENGTH - Wire.TAG_LENGTH;
  }

  /** Opens a whole record (header and body); returns its plaintext. */
  public byte[] open(byte[] record) throws RecordFailure {
    byte[] plain = new byte[plainLength(record.length)];
    open(record, 0, record.length, plain, 0);
    return plain;
  }

  /**
   * Authenticates the record {@code buf[off, off + len)} and decrypts it into {@code out} at
   * {@code outOff}; nothing is written there unless it authenticates.
   *
   * @return the plaintext length
   */
  public int open(byte[] buf, int off, int len, byte[] out, int outOff) throws RecordFailure {
    if (seq == -1L) {
      throw new RecordFailure(AlertReason.SEQUENCE_EXHAUSTED, "peer record sequence would wrap");
    }
    int d = Wire.d(buf, off);
    KeyState state = schedule.current();
    byte[] chainKey = schedule.keyFor(state, d);
    if (chainKey == null) {
      throw new RecordFailure(state.distanceTo(d) > 0 ? AlertReason.FUTURE_EPOCH : AlertReason.STALE_EPOCH,
          "record epoch header " + d + ", local tc " + state.tc());
    }
    RecordKeys.EpochKey key = keys.forEpoch(state.epochFor(d), chainKey);
    RecordKeys.nonce(key.iv(), seq, nonce);
    int n;
    try {
      n = key.aead().open(nonce, buf, off, Wire.HEADER_LENGTH, buf, off + Wire.HEADER_LENGTH,
          len - Wire.HEADER_LENGTH, out, outOff);
    } catch (AeadAuthenticationException e) {
      throw new RecordFailure(AlertReason.BAD_RECORD, "record #" + seq + " at epoch header " + d);
    }
    seq++;
    return n;
  }

  public void erase() {
    keys.erase();
  }
}
