package io.sscmic.keysyn;

/**
 * The one-way function R of the key stream: {@code K(n+1) = HKDF(K(n), "ratchet")}. Knowing a
 * chain key gives every later key but no earlier one (forward secrecy for past epochs).
 */
public final class Ratchet {
  public static final int KEY_LENGTH = 32;
  static final String LABEL = "ratchet";

  private Ratchet() {
  }

  public static byte[] next(byte[] chainKey) {
    return Kdf.derive(chainKey, LABEL, KEY_LENGTH);
  }

  /** Applies R {@code steps} times. Cost is linear: run large step counts on a worker. */
  public static byte[] advance(byte[] chainKey, long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("the ratchet only moves forward");
    }
    byte[] k = chainKey;
    for (long i = 0; i < steps; i++) {
      k = next(k);
    }
    return k;
  }
}
