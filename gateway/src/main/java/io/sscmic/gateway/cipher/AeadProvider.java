package io.sscmic.gateway.cipher;

/**
 * Where the AEAD implementation comes from. JDK (SunJCE) uses AES-NI/CLMUL intrinsics; Bouncy
 * Castle's lightweight API is pure Java. The default is chosen from bench/ figures
 * (docs/BENCHMARKS.md).
 */
public enum AeadProvider {
  JDK,
  BOUNCY_CASTLE;

  /** The provider used when the config names none (see docs/BENCHMARKS.md for the figures). */
  public static AeadProvider defaultProvider() {
    return JDK;
  }

  /** Creates a fresh AEAD instance for one key. The key array is copied. */
  public FrameAead create(CipherSuite suite, byte[] key) {
    if (key.length != FrameAead.KEY_LENGTH) {
      throw new IllegalArgumentException("AEAD key must be 32 bytes");
    }
    if (this == BOUNCY_CASTLE) {
      return new BcAead(suite, key);
    }
    return suite == CipherSuite.AES_256_GCM ? new JdkAesGcmAead(key) : new JdkChaCha20Poly1305Aead(key);
  }
}
