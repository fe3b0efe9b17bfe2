package io.sscmic.gateway.frame;

import java.nio.charset.StandardCharsets;

/**
 * A refused hello, in clear and unauthenticated (no traffic key exists yet): the client only logs
 * it. {@code body: reason u8 | UTF-8 text}.
 */
public final class RefuseFrame {
  private RefuseFrame() {
  }

  public static byte[] encode(int d, FailureReason reason, String text) {
    byte[] msg = Texts.truncate(text, Protocol.MAX_REASON_TEXT);
    byte[] out = new byte[Protocol.HEADER_LENGTH + 1 + msg.length];
    FrameHeader.write(out, d, FrameType.REFUSE, 1 + msg.length);
    out[Protocol.HEADER_LENGTH] = (byte) reason.code();
    System.arraycopy(msg, 0, out, Protocol.HEADER_LENGTH + 1, msg.length);
    return out;
  }

  public static FailureReason reason(byte[] frame) {
    return FailureReason.fromCode(frame[Protocol.HEADER_LENGTH] & 0xFF);
  }

  /** The text, with control characters replaced so a hostile peer cannot forge log lines. */
  public static String text(byte[] frame) {
    int from = Protocol.HEADER_LENGTH + 1;
    return Texts.printable(new String(frame, from, frame.length - from, StandardCharsets.UTF_8));
  }
}
