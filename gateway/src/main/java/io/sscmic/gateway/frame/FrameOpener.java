package io.sscmic.gateway.frame;

import io.sscmic.gateway.cipher.AeadAuthenticationException;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;

/**
 * Opens the frames of one direction of one connection. Picks the chain key by the frame's D
 * (Tc: Kn, Tc-1: Kp, Tc+1: R(Kn); anything else is refused), and expects the next implicit
 * sequence number, so a dropped, reordered or replayed frame fails authentication. Keeps the
 * traffic keys of the last two epochs seen. Not thread-safe.
 */
public final class FrameOpener {
  /** What the last opened frame's D selected; for metrics. */
  private KeyRole lastRole;
  private final KeySchedule schedule;
  private final TrafficKeys keys;
  private final Direction direction;
  private final byte[] nonce = new byte[FrameAead.NONCE_LENGTH];
  private long seq;
  private long epochA = Long.MIN_VALUE;
  private FrameAead aeadA;
  private long epochB = Long.MIN_VALUE;
  private FrameAead aeadB;

  public FrameOpener(KeySchedule schedule, TrafficKeys keys, Direction direction) {
    this.schedule = schedule;
    this.keys = keys;
    this.direction = direction;
  }

  /**
   * Authenticates and decrypts a sealed frame (header and body, as the decoder delivers it).
   *
   * @return the plaintext (empty for END; reason code and text for ERROR)
   */
  public byte[] open(int d, FrameType type, byte[] frame) throws ProtocolException {
    byte[] plain = new byte[plainLength(frame.length)];
    open(d, type, frame, 0, frame.length, plain, 0);
    return plain;
  }

  /** The plaintext length of a sealed frame of {@code frameLength} bytes. */
  public static int plainLength(int frameLength) {
    return frameLength - Protocol.HEADER_LENGTH - Protocol.TAG_LENGTH;
  }

  /**
   * Authenticates the frame {@code buf[offset, offset + length)} and decrypts it into {@code out}
   * at {@code outOffset}; nothing is written there unless the frame authenticates.
   *
   * @return the plaintext length
   */
  public int open(int d, FrameType type, byte[] buf, int offset, int length, byte[] out, int outOffset)
      throws ProtocolException {
    if (!type.isSealed()) {
      throw new ProtocolException(FailureReason.MALFORMED, type + " frame inside an established stream");
    }
    KeyState state = schedule.current();
    // Older than Kp still opens if it was sealed within KeySchedule.GRACE (delayed in flight).
    byte[] chainKey = schedule.keyFor(state, d);
    if (chainKey == null) {
      throw new ProtocolException(state.distanceTo(d) > 0 ? FailureReason.FUTURE_EPOCH : FailureReason.STALE_EPOCH,
          "frame epoch header " + d + ", local tc " + state.tc());
    }
    KeyRole role = state.roleFor(d);
    FrameAead aead = aeadFor(state.epochFor(d), chainKey);
    TrafficKeys.nonce(seq, nonce);
    int plain;
    try {
      plain = aead.open(nonce, buf, offset, Protocol.HEADER_LENGTH, buf, offset + Protocol.HEADER_LENGTH,
          length - Protocol.HEADER_LENGTH, out, outOffset);
    } catch (AeadAuthenticationException e) {
      throw new ProtocolException(FailureReason.AUTH, type + " frame #" + seq + " at epoch header " + d);
    }
    seq++;
    lastRole = role == null ? KeyRole.PREVIOUS : role;
    return plain;
  }

  /** The key role that the last successfully opened frame used. */
  public KeyRole lastRole() {
    return lastRole;
  }

  /** Frames opened so far in this direction. */
  public long sequence() {
    return seq;
  }

  private FrameAead aeadFor(long epoch, byte[] chainKey) {
    if (epoch == epochA) {
      return aeadA;
    }
    if (epoch == epochB) {
      return aeadB;
    }
    // Replace the older slot: streams move forward one epoch at a time.
    FrameAead fresh = keys.aead(chainKey, direction);
    if (epochA < epochB) {
      epochA = epoch;
      aeadA = fresh;
    } else {
      epochB = epoch;
      aeadB = fresh;
    }
    return fresh;
  }
}
