package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  private final SecureRandom random = new SecureRandom();

  @Test
  void theHashMatchesItsPasswordOnly() {
    PasswordHash h = PasswordHash.parse(PasswordHash.hash("open sesame, please".toCharArray(), random));
    assertTrue(h.matches("open sesame, please".toCharArray()));
    assertFalse(h.matches("open sesame, please ".toCharArray()));
    assertFalse(h.matches(new char[0]));
  }

  @Test
  void theSamePasswordHashesDifferentlyEachTime() {
    assertNotEquals(PasswordHash.hash("same".toCharArray(), random), PasswordHash.hash("same".toCharArray(), random),
        "a fresh salt each time");
  }

  @Test
  void aMalformedOrWeakHashIsRefusedWithTheExpectedForm() {
    for (String bad : new String[] {"", "hunter2", "pbkdf2-sha256$1000$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==",
        "pbkdf2-sha256$600000$not base64!$AAAA", "md5$1$2$3"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(bad), bad);
      assertTrue(e.getMessage().contains("pbkdf2-sha256$<iterations"), e.getMessage());
    }
  }

  @Test
  void anOperatorsPasswordIsStretchedFully_theNodesOwnRandomOneIsCheckedWithoutStretching() {
    assertTrue(PasswordHash.hash("a chosen password".toCharArray(), random).startsWith("pbkdf2-sha256$600000$"),
        "what `sscmic admin-password` prints for a password a person chose");
    char[] generated = GeneratedPassword.create(random);
    PasswordHash h = PasswordHash.ofGenerated(generated, random);
    assertTrue(h.matches(generated));
    assertFalse(h.matches("abcdefghjkmnpqrstuvw".toCharArray()));
    assertFalse(h.matches(Arrays.copyOf(generated, 19)));
  }
}
