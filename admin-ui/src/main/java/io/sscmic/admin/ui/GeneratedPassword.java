package io.sscmic.admin.ui;

import java.security.SecureRandom;

/** A random dashboard password for a node started without admin.password-hash: 20 characters, about 100 bits. */
final class GeneratedPassword {
  // No look-alike characters (0/O, 1/l/I): the operator types it from a log line.
  private static final char[] ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

  static char[] create(SecureRandom random) {
    char[] p = new char[20];
    for (int i = 0; i < p.length; i++) {
      p[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return p;
  }

  private GeneratedPassword() {
  }
}
