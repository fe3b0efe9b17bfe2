package io.sscmic.gateway.handshake;

import java.nio.charset.StandardCharsets;

/** The plaintext of an ALERT (sealed) or CLEAR_ALERT record: {@code reason u8 | UTF-8 text (0..200 bytes)}. */
public final class Alerts {
  private Alerts() {
  }

  /** A reason received from the peer; {@code reason} is null for a code this version does not know. */
  public record PeerAlert(int code, AlertReason reason, String text) {
    public String label() {
      return reason == null ? "unknown_" + code : reason.label();
    }
  }

  /** The plaintext for a reason; the text is the reason's fixed description, never a local detail. */
  public static byte[] encode(AlertReason reason) {
    return encode(reason, reason.description());
  }

  public static byte[] encode(AlertReason reason, String text) {
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(t.length, Wire.MAX_ALERT_TEXT);
    // Never cut a UTF-8 sequence in half.
    while (n > 0 && n < t.length && (t[n] & 0xC0) == 0x80) {
      n--;
    }
    byte[] out = new byte[1 + n];
    out[0] = (byte) reason.code();
    System.arraycopy(t, 0, out, 1, n);
    return out;
  }

  public static PeerAlert parse(byte[] plain, int off, int len) {
    int code = plain[off] & 0xFF;
    String text = new String(plain, off + 1, Math.min(len - 1, Wire.MAX_ALERT_TEXT), StandardCharsets.UTF_8);
    return new PeerAlert(code, AlertReason.fromCode(code), text);
  }

  /** A CLEAR_ALERT record (sent only before the sender holds any key the receiver can compute). */
  public static byte[] clearRecord(int d, AlertReason reason) {
    byte[] plain = encode(reason);
    byte[] record = new byte[Wire.HEADER_LENGTH + plain.length];
    Wire.writeHeader(record, 0, d, Wire.TYPE_CLEAR_ALERT, plain.length);
    System.arraycopy(plain, 0, record, Wire.HEADER_LENGTH, plain.length);
    return record;
  }

  /**
   * The v1 REFUSE frame (docs/PROTOCOL.md 3.3) a v2 node answers a v1 HELLO with: reason
   * {@code unsupported}, naming the versions it speaks, so a v1 client logs why.
   */
  public static byte[] v1Refuse(int d) {
    byte[] text = ("unsupported protocol version: this node speaks tunnel protocol 2").getBytes(StandardCharsets.US_ASCII);
    byte[] frame = new byte[Wire.HEADER_LENGTH + 1 + text.length];
    Wire.writeHeader(frame, 0, d, Wire.V1_REFUSE, 1 + text.length);
    frame[Wire.HEADER_LENGTH] = (byte) Wire.V1_UNSUPPORTED;
    System.arraycopy(text, 0, frame, Wire.HEADER_LENGTH + 1, text.length);
    return frame;
  }
}
