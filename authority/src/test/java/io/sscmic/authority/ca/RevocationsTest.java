package io.sscmic.authority.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationsTest {
  @Test
  void aRevocationIsKeptInAPrivateFileAndSurvivesAReload(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("revoked");
    Revocations r = Revocations.load(file);
    assertFalse(r.isRevoked("gamma"));
    assertTrue(r.revoke("gamma"));
    assertFalse(r.revoke("gamma"), "already revoked");
    assertTrue(r.isRevoked("gamma"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Revocations reloaded = Revocations.load(file);
    assertTrue(reloaded.isRevoked("gamma"));
    assertEquals(Set.of("gamma"), reloaded.all());
  }

  @Test
  void aNodeIdThatCouldNotExistIsRefused(@TempDir Path dir) throws Exception {
    Revocations r = Revocations.load(dir.resolve("revoked"));
    for (String bad : new String[] {"", "a b", "x\ny", "../etc"}) {
      assertThrows(IllegalArgumentException.class, () -> r.revoke(bad), bad);
    }
    assertFalse(Files.exists(dir.resolve("revoked")), "nothing written");
  }
}
