package io.sscmic.gateway.handshake;

import java.security.MessageDigest;

/**
 * Layout constants of RESP and FINISH, the bounds the record layer checks at a HANDSHAKE record's
 * header, and the transcript hash.
 * <pre>
 * RESP   = 0x02 | version u8 | e_s[32] | server_random[32] | AEAD(hs key s2c, certificate message)
 * FINISH = 0x03 | AEAD(hs key c2s, certificate message)
 * </pre>
 */
public final class Messages {
  public static final int RESP = 0x02;
  public static final int FINISH = 0x03;
  /** msg | version | e_s | server_random: the part of RESP in clear. */
  public static final int RESP_CLEAR_LENGTH = 1 + 1 + Init.KEY_LENGTH + Init.RANDOM_LENGTH;
  static final int MIN_CERTIFICATE_MESSAGE = 1 + 2 + 1 + 2 + CertificateMessage.MIN_SIGNATURE;
  public static final int RESP_MIN_BODY = RESP_CLEAR_LENGTH + Wire.TAG_LENGTH + MIN_CERTIFICATE_MESSAGE;
  public static final int RESP_MAX_BODY = RESP_CLEAR_LENGTH + Wire.TAG_LENGTH + CertificateMessage.MAX_LENGTH;
  public static final int FINISH_MIN_BODY = 1 + Wire.TAG_LENGTH + MIN_CERTIFICATE_MESSAGE;
  public static final int FINISH_MAX_BODY = 1 + Wire.TAG_LENGTH + CertificateMessage.MAX_LENGTH;

  private Messages() {
  }

  /** SHA-256 over the concatenation of {@code parts[i][from[i], to[i])}; parts are given whole or as ranges. */
  static byte[] transcript(byte[]... parts) {
    MessageDigest md = V2Kdf.sha256();
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  static byte[] range(byte[] b, int from, int to) {
    return java.util.Arrays.copyOfRange(b, from, to);
  }
}
