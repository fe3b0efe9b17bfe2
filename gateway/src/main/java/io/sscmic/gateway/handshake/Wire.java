package io.sscmic.gateway.handshake;

/**
 * Wire constants of tunnel protocol v2 shared by the handshake and the record layer
 * (docs/PROTOCOL-v2.md is the byte-for-byte reference). Record type codes start at 0x20 so that a
 * listener tells a v2 record from a v1 frame (0x01-0x03, 0x10-0x12) at its header.
 */
public final class Wire {
  /** The protocol version this code speaks. */
  public static final int VERSION = 2;
  /** Versions offered in INIT, most preferred first. */
  public static final int[] SUPPORTED_VERSIONS = {VERSION};
  /** D (2) | type (1) | length (2). */
  public static final int HEADER_LENGTH = 5;
  public static final int TAG_LENGTH = 16;
  /** Largest plaintext in one record. */
  public static final int MAX_PLAINTEXT = 16384;
  public static final int MAX_ALERT_TEXT = 200;

  public static final int TYPE_HANDSHAKE = 0x20;
  public static final int TYPE_DATA = 0x21;
  public static final int TYPE_ALERT = 0x22;
  public static final int TYPE_CLEAR_ALERT = 0x23;

  /** v1 frame codes (docs/PROTOCOL.md): DATA, END, ERROR, HELLO, ACCEPT, REFUSE. */
  public static final int V1_HELLO = 0x10;
  public static final int V1_REFUSE = 0x12;
  /** v1's reason code for `unsupported`, used in the v1 REFUSE a v2 node answers a v1 HELLO with. */
  public static final int V1_UNSUPPORTED = 9;

  private Wire() {
  }

  /** True for the type codes protocol v1 uses. */
  public static boolean isV1Type(int code) {
    return code >= 0x01 && code <= 0x03 || code >= 0x10 && code <= 0x12;
  }

  public static void writeHeader(byte[] out, int off, int d, int type, int length) {
    out[off] = (byte) (d >>> 8);
    out[off + 1] = (byte) d;
    out[off + 2] = (byte) type;
    out[off + 3] = (byte) (length >>> 8);
    out[off + 4] = (byte) length;
  }

  public static int d(byte[] record, int off) {
    return (record[off] & 0xFF) << 8 | record[off + 1] & 0xFF;
  }

  public static int type(byte[] record, int off) {
    return record[off + 2] & 0xFF;
  }

  public static int length(byte[] record, int off) {
    return (record[off + 3] & 0xFF) << 8 | record[off + 4] & 0xFF;
  }
}
