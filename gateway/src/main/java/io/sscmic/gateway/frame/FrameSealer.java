package io.sscmic.gateway.frame;

import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
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

  public Buffer data(Buffer plain, int from, int to) {
    int len = to - from;
    if (len < 1 || len > Protocol.MAX_PAYLOAD) {
      throw new IllegalArgumentException("DATA payload must be 1.." + Protocol.MAX_PAYLOAD + " bytes");
    }
    return Buffer.buffer(seal(FrameType.DATA, plain.getBytes(from, to)));
  }

  public Buffer end() {
    return Buffer.buffer(seal(FrameType.END, new byte[0]));
  }

  public Buffer error(FailureReason reason, String text) {
    byte[] msg = Texts.truncate(text, Protocol.MAX_REASON_TEXT);
    byte[] plain = new byte[1 + msg.length];
    plain[0] = (byte) reason.code();
    System.arraycopy(msg, 0, plain, 1, msg.length);
    return Buffer.buffer(seal(FrameType.ERROR, plain));
  }

  /** Frames sealed so far in this direction. */
  public long sequence() {
    return seq;
  }

  byte[] seal(FrameType type, byte[] plain) {
    KeyState state = schedule.current();
    if (state.epoch() != keyEpoch) {
      aead = keys.aead(state.chainKey(KeyRole.CURRENT), direction);
      keyEpoch = state.epoch();
    }
    int body = plain.length + Protocol.TAG_LENGTH;
    byte[] out = new byte[Protocol.HEADER_LENGTH + body];
    FrameHeader.write(out, state.tc(), type, body);
    TrafficKeys.nonce(seq++, nonce);
    aead.seal(nonce, out, 0, Protocol.HEADER_LENGTH, plain, 0, plain.length, out, Protocol.HEADER_LENGTH);
    return out;
  }
}
