package io.sscmic.gateway.frame;

import io.sscmic.gateway.cipher.CipherSuite;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The client's opening frame, in clear: version, cipher, 32 fresh random bytes, the target service
 * name, and an HMAC keyed from the chain key of epoch D that proves mesh membership.
 *
 * <pre>body: version u8 | cipher u8 | client_random[32] | name_len u8 | name | mac[32]</pre>
 */
public final class HelloFrame {
  static final String MAC_LABEL = "hello";
  public static final int MIN_BODY = 1 + 1 + Protocol.RANDOM_LENGTH + 1 + 1 + Protocol.MAC_LENGTH;
  public static final int MAX_BODY = MIN_BODY - 1 + Protocol.MAX_SERVICE_NAME;

  private final byte[] frame;
  private final int d;
  private final CipherSuite suite;
  private final byte[] clientRandom;
  private final String service;

  private HelloFrame(byte[] frame, int d, CipherSuite suite, byte[] clientRandom, String service) {
    this.frame = frame;
    this.d = d;
    this.suite = suite;
    this.clientRandom = clientRandom;
    this.service = service;
  }

  /** Builds a MAC'd hello for epoch header {@code d} under that epoch's chain key. */
  public static byte[] encode(int d, CipherSuite suite, byte[] clientRandom, String service, byte[] chainKey) {
    return encode(d, Protocol.VERSION, suite.wireId(), clientRandom, service, chainKey);
  }

  /**
   * A hello with any version and cipher byte, correctly MAC'd: what a member of another protocol
   * version would send (tests of version skew use it).
   */
  public static byte[] encode(int d, int version, int cipherWireId, byte[] clientRandom, String service,
                              byte[] chainKey) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0 || name.length > Protocol.MAX_SERVICE_NAME) {
      throw new IllegalArgumentException("service name must be 1.." + Protocol.MAX_SERVICE_NAME + " bytes");
    }
    int body = MIN_BODY - 1 + name.length;
    byte[] out = new byte[Protocol.HEADER_LENGTH + body];
    FrameHeader.write(out, d, FrameType.HELLO, body);
    int p = Protocol.HEADER_LENGTH;
    out[p++] = (byte) version;
    out[p++] = (byte) cipherWireId;
    System.arraycopy(clientRandom, 0, out, p, Protocol.RANDOM_LENGTH);
    p += Protocol.RANDOM_LENGTH;
    out[p++] = (byte) name.length;
    System.arraycopy(name, 0, out, p, name.length);
    HandshakeMac.write(chainKey, MAC_LABEL, out);
    return out;
  }

  /** Parses the structure (the MAC is checked separately, once the key for D is known). */
  public static HelloFrame parse(byte[] frame) throws ProtocolException {
    // The decoder already bounds the body; checked again so that no caller can index past the end.
    int bodyLength = frame.length - Protocol.HEADER_LENGTH;
    if (bodyLength < MIN_BODY || bodyLength > MAX_BODY) {
      throw new ProtocolException(FailureReason.MALFORMED, "hello body of " + Math.max(0, bodyLength)
          + " bytes, expected " + MIN_BODY + ".." + MAX_BODY);
    }
    int p = Protocol.HEADER_LENGTH;
    int version = frame[p++] & 0xFF;
    if (version != Protocol.VERSION) {
      throw new ProtocolException(FailureReason.UNSUPPORTED, "protocol version " + version);
    }
    CipherSuite suite;
    try {
      suite = CipherSuite.fromWireId(frame[p++] & 0xFF);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(FailureReason.UNSUPPORTED, e.getMessage());
    }
    byte[] random = Arrays.copyOfRange(frame, p, p + Protocol.RANDOM_LENGTH);
    p += Protocol.RANDOM_LENGTH;
    int nameLength = frame[p++] & 0xFF;
    if (nameLength == 0 || p + nameLength + Protocol.MAC_LENGTH != frame.length) {
      throw new ProtocolException(FailureReason.MALFORMED, "hello service name length " + nameLength
          + " does not match the frame length");
    }
    String service = new String(frame, p, nameLength, StandardCharsets.UTF_8);
    return new HelloFrame(frame, FrameHeader.d(frame), suite, random, service);
  }

  /**
   * Checks the MAC of a whole hello frame before anything in its body is interpreted, so that a
   * tampered version or cipher byte is reported as {@code auth}, not as version skew. The frame
   * must be at least a header and a MAC long.
   */
  public static boolean macValid(byte[] frame, byte[] chainKey) {
    return frame.length >= Protocol.HEADER_LENGTH + Protocol.MAC_LENGTH
        && HandshakeMac.verify(chainKey, MAC_LABEL, frame);
  }

  /** The epoch header D of a frame (its first two bytes). */
  public static int d(byte[] frame) {
    return FrameHeader.d(frame);
  }

  public boolean macValid(byte[] chainKey) {
    return HandshakeMac.verify(chainKey, MAC_LABEL, frame);
  }

  public byte[] bytes() {
    return frame;
  }

  public int d() {
    return d;
  }

  public CipherSuite suite() {
    return suite;
  }

  public byte[] clientRandom() {
    return clientRandom.clone();
  }

  public String service() {
    return service;
  }
}
