package io.sscmic.gateway.frame;

/** Reads and writes the 5-byte header: D (u16), type (u8), body length (u16), big-endian. */
final class FrameHeader {
  private FrameHeader() {
  }

  static void write(byte[] out, int d, FrameType type, int bodyLength) {
    write(out, 0, d, type, bodyLength);
  }

  static void write(byte[] out, int at, int d, FrameType type, int bodyLength) {
    out[at] = (byte) (d >>> 8);
    out[at + 1] = (byte) d;
    out[at + 2] = (byte) type.code();
    out[at + 3] = (byte) (bodyLength >>> 8);
    out[at + 4] = (byte) bodyLength;
  }

  static int d(byte[] frame) {
    return ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF);
  }
}
