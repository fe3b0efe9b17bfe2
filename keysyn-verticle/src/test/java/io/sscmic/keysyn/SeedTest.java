package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedTest {
  @Test
  void parsesHexAndBase64() {
    byte[] b = new byte[32];
    Arrays.fill(b, (byte) 7);
    assertArrayEquals(b, Seed.parse(HexFormat.of().formatHex(b), "t"));
    assertArrayEquals(b, Seed.parse(Base64.getEncoder().encodeToString(b) + "\n", "t"));
  }

  @Test
  void refusesShortAndGarbageSeedsNamingTheOrigin() {
    String shortSeed = HexFormat.of().formatHex(new byte[31]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Seed.parse(shortSeed, "seed file /x"));
    assertEquals("seed file /x: the seed has 31 bytes, at least 32 are required", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Seed.parse("not a seed!", "env S"));
    assertTrue(e.getMessage().startsWith("env S: "));
  }

  @Test
  void writesAPrivateFileOnceAndReadsItBack(@TempDir Path dir) throws Exception {
    Path p = dir.resolve("seed");
    Seed.writeNew(p, new SecureRandom());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    assertFalse(Seed.isExposed(p));
    assertEquals(32, Seed.readFile(p).length);
    assertThrows(FileAlreadyExistsException.class, () -> Seed.writeNew(p, new SecureRandom()));
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    assertTrue(Seed.isExposed(p));
  }

  @Test
  void sameSeedSameChainOtherSeedOtherChain() {
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[0] = 1;
    assertArrayEquals(ChainAnchor.genesis(a).stateAt(4).chainKey(KeyRole.CURRENT),
        ChainAnchor.genesis(a.clone()).stateAt(4).chainKey(KeyRole.CURRENT));
    assertFalse(Arrays.equals(ChainAnchor.genesis(a).stateAt(4).chainKey(KeyRole.CURRENT),
        ChainAnchor.genesis(b).stateAt(4).chainKey(KeyRole.CURRENT)));
  }
}
