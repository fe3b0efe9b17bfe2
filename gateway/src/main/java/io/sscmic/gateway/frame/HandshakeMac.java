package io.sscmic.gateway.frame;

import io.sscmic.keysyn.Kdf;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA-256 over handshake frames, keyed by a label-separated derivation of an epoch chain key. */
final class HandshakeMac {
  private HandshakeMac() {
  }

  /** MAC of {@code parts} concatenated, with the last part's final 32 bytes (its MAC field) left out. */
  static byte[] compute(byte[] chainKey, String label, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Kdf.derive(chainKey, label, 32), "HmacSHA256"));
      for (int i = 0; i < parts.length; i++) {
        int len = i == parts.length - 1 ? parts[i].length - Protocol.MAC_LENGTH : parts[i].length;
        mac.update(parts[i], 0, len);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  static void write(byte[] chainKey, String label, byte[]... parts) {
    byte[] last = parts[parts.length - 1];
    byte[] tag = compute(chainKey, label, parts);
    System.arraycopy(tag, 0, last, last.length - Protocol.MAC_LENGTH, Protocol.MAC_LENGTH);
  }

  /** Constant-time check of the MAC field at the end of the last part. */
  static boolean verify(byte[] chainKey, String label, byte[]... parts) {
    byte[] last = parts[parts.length - 1];
    byte[] expected = compute(chainKey, label, parts);
    byte[] actual = new byte[Protocol.MAC_LENGTH];
    System.arraycopy(last, last.length - Protocol.MAC_LENGTH, actual, 0, Protocol.MAC_LENGTH);
    return MessageDigest.isEqual(expected, actual);
  }
}
