package io.sscmic.admin.ui;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The dashboard password's stored form: {@code pbkdf2-sha256$<iterations>$<salt>$<hash>} (base64),
 * made with the JDK's PBKDF2-HMAC-SHA256. Hashing is deliberately slow: callers run it on a worker,
 * never on an event loop.
 */
public final class PasswordHash {
  static final String SCHEME = "pbkdf2-sha256";
  /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  static final int ITERATIONS = 600_000;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(int iterations, byte[] salt, byte[] hash) {
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /** Parses a stored hash; the message says what a valid one looks like (config errors quote it). */
  public static PasswordHash parse(String encoded) {
    String[] parts = encoded == null ? new String[0] : encoded.trim().split("\\$");
    try {
      if (parts.length == 4 && SCHEME.equals(parts[0])) {
        int iterations = Integer.parseInt(parts[1]);
        byte[] salt = Base64.getDecoder().decode(parts[2]);
        byte[] hash = Base64.getDecoder().decode(parts[3]);
        if (iterations >= 10_000 && salt.length >= 8 && hash.length >= 16) {
          return new PasswordHash(iterations, salt, hash);
        }
      }
    } catch (IllegalArgumentException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("expected " + SCHEME + "$<iterations, at least 10000>$<base64 salt>"
        + "$<base64 hash>, as printed by `sscmic admin-password`");
  }

  /** Hashes a new password with a fresh salt. Slow: call on a worker. */
  public static String hash(char[] password, SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] hash = derive(password, salt, ITERATIONS, HASH_BYTES);
    Base64.Encoder b64 = Base64.getEncoder();
    return SCHEME + "$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  /**
   * The hash of a password the node generated itself ({@link GeneratedPassword}: 20 of 55
   * characters, 115 random bits, kept only in memory): one PBKDF2 iteration, a salted HMAC.
   * Stretching guards a stored hash of a password a person chose against guessing; 600 000
   * iterations add 19 bits of work, which 115 random bits do not need, and they cost about a second
   * of a cold JVM's start, before the admin port (and so /readyz) could answer
   * (docs/BENCHMARKS.md, "Start-up"). Never written anywhere, so {@link #parse}'s floor (for
   * configured hashes) does not apply.
   */
  static PasswordHash ofGenerated(char[] password, SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return new PasswordHash(1, salt, derive(password, salt, 1, HASH_BYTES));
  }

  /** Constant-time comparison of a candidate password with this hash. Slow: call on a worker. */
  public boolean matches(char[] candidate) {
    byte[] derived = derive(candidate, salt, iterations, hash.length);
    try {
      return MessageDigest.isEqual(derived, hash);
    } finally {
      Arrays.fill(derived, (byte) 0);
    }
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations, int bytes) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable: " + e.getMessage(), e);
    } finally {
      spec.clearPassword();
    }
  }
}
