package io.sscmic.gateway.handshake;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA-256 (RFC 5869) with the v2 label convention: info = {@code "sscmic/v2 " + label}.
 * Every key of protocol v2 comes from here with its own label (key separation); an empty salt
 * means 32 zero bytes (RFC 5869).
 */
public final class V2Kdf {
  public static final String LABEL_PREFIX = "sscmic/v2 ";
  private static final byte[] NO_SALT = new byte[0];

  private V2Kdf() {
  }

  public static byte[] derive(byte[] ikm, byte[] salt, String label, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(SHA256Digest.newInstance());
    hkdf.init(new HKDFParameters(ikm, salt == null ? NO_SALT : salt, info(label)));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }

  public static byte[] info(String label) {
    return (LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
  }

  public static byte[] hmac(byte[] key, byte[] data, int off, int len) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(data, off, len);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** {@code a || b}. */
  public static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
