package io.sscmic.keysyn;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA-256 (RFC 5869) with the protocol's label convention: every derivation's info field is
 * {@code "sscmic/v1 " + label} followed by optional binary context. Distinct labels give
 * independent keys from one input key (key separation), so a chain key is never itself a cipher
 * or MAC key.
 */
public final class Kdf {
  public static final String LABEL_PREFIX = "sscmic/v1 ";
  private static final byte[] NO_SALT = new byte[0];

  private Kdf() {
  }

  public static byte[] derive(byte[] ikm, String label, int length) {
    return derive(ikm, NO_SALT, label, NO_SALT, length);
  }

  public static byte[] derive(byte[] ikm, byte[] salt, String label, byte[] context, int length) {
    byte[] prefix = (LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
    byte[] info = new byte[prefix.length + context.length];
    System.arraycopy(prefix, 0, info, 0, prefix.length);
    System.arraycopy(context, 0, info, prefix.length, context.length);
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(SHA256Digest.newInstance());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }
}
