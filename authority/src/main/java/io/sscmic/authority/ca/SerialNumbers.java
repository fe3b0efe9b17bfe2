package io.sscmic.authority.ca;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Where a certificate's serial number comes from. One authority draws 127 random bits; replicas
 * sharing a CA draw from a shared counter (issue 17 item 4), so two of them never issue one
 * serial, which revocation by serial relies on. Blocking: called where certificates are signed,
 * on a worker.
 */
@FunctionalInterface
public interface SerialNumbers {
  /**
   * A serial never issued before by this CA.
   *
   * @throws java.io.UncheckedIOException the shared counter cannot be reached: nothing is issued
   */
  BigInteger next();

  /** 127 random bits: unique in practice, for one authority. */
  static SerialNumbers random(SecureRandom random) {
    return () -> new BigInteger(127, random);
  }

  /**
   * A serial from a counter value that no other replica got: the counter in the high bits (the
   * uniqueness), 64 random bits below it (so serials are still not guessable).
   */
  static BigInteger fromCounter(long counter, SecureRandom random) {
    if (counter <= 0) {
      throw new IllegalArgumentException("counter values start at 1");
    }
    return BigInteger.valueOf(counter).shiftLeft(64).or(new BigInteger(64, random));
  }

  /** The counter value a serial made by {@link #fromCounter} carries. */
  static long counterOf(BigInteger serial) {
    return serial.shiftRight(64).longValueExact();
  }
}
