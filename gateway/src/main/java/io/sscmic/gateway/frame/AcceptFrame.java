package io.sscmic.gateway.frame;

import java.util.Arrays;

/**
 * The server's answer to a valid hello: its 32 fresh random bytes and an HMAC over the hello and
 * this frame, keyed from the chain key of the server's epoch D. Proves the server holds the mesh
 * key and binds the answer to this hello (a recorded accept is useless with a new hello).
 *
 * <pre>body: version u8 | server_random[32] | mac[32]</pre>
 */
public final class AcceptFrame {
  static final String MAC_LABEL = "accept";
  public static final int BODY_LENGTH = 1 + Protocol.RANDOM_LENGTH + Protocol.MAC_LENGTH;

  private AcceptFrame() {
  }

  public static byte[] encode(int d, byte[] serverRandom, byte[] hello, byte[] chainKey) {
    byte[] out = new byte[Protocol.HEADER_LENGTH + BODY_LENGTH];
    FrameHeader.write(out, d, FrameType.ACCEPT, BODY_LENGTH);
    out[Protocol.HEADER_LENGTH] = (byte) Protocol.VERSION;
    System.arraycopy(serverRandom, 0, out, Protocol.HEADER_LENGTH + 1, Protocol.RANDOM_LENGTH);
    HandshakeMac.write(chainKey, MAC_LABEL, hello, out);
    return out;
  }

  public static int version(byte[] accept) {
    return accept[Protocol.HEADER_LENGTH] & 0xFF;
  }

  public static byte[] serverRandom(byte[] accept) {
    int from = Protocol.HEADER_LENGTH + 1;
    return Arrays.copyOfRange(accept, from, from + Protocol.RANDOM_LENGTH);
  }

  public static boolean macValid(byte[] accept, byte[] hello, byte[] chainKey) {
    return HandshakeMac.verify(chainKey, MAC_LABEL, hello, accept);
  }
}
