package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * State files on a real full disk (a tiny tmpfs): what the operator finds afterwards is the old
 * file, whole, and an error that names the file and the cause; never a truncated key.
 */
class StateFilesTest {
  private FullDisk disk;

  @BeforeEach
  void setUp() throws Exception {
    disk = FullDisk.mount();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (disk != null) {
      disk.close();
    }
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.list(disk.dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
    }
  }

  @Test
  void aWriteThatHitsAFullDiskLeavesTheOldFileIntactAndSaysWhich() throws Exception {
    Path key = disk.dir.resolve("node.key");
    StateFiles.write(key, text("old key\n"), true);
    disk.fill();
    IOException e = assertThrows(IOException.class, () -> StateFiles.write(key, text("new key ".repeat(2000)), true));
    assertTrue(e.getMessage().startsWith("cannot write " + key + ": No space left on device"), e.getMessage());
    assertTrue(e.getMessage().contains("previous file, if any, is unchanged"), e.getMessage());
    assertEquals("old key\n", Files.readString(key));
    assertEquals(List.of(), leftovers(), "no temporary file is left behind");
    // Once there is room again the same write works, with the file's mode.
    disk.free(-1);
    StateFiles.write(key, text("new key\n"), true);
    assertEquals("new key\n", Files.readString(key));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
  }

  @Test
  void aKeyAndItsCertificateAreReplacedTogetherOrNotAtAll() throws Exception {
    Path key = disk.dir.resolve("node.key");
    Path cert = disk.dir.resolve("node.crt");
    StateFiles.writeTogether(List.of(new StateFiles.Content(key, text("old key\n"), true),
        new StateFiles.Content(cert, text("old cert\n"), false)));
    disk.fill();
    disk.free(1);
    // Room for the new key (one page), not for the certificate after it.
    assertThrows(IOException.class, () -> StateFiles.writeTogether(List.of(
        new StateFiles.Content(key, text("new key\n"), true),
        new StateFiles.Content(cert, text("new cert ".repeat(4000)), false))));
    assertEquals("old key\n", Files.readString(key), "the key was not replaced without its certificate");
    assertEquals("old cert\n", Files.readString(cert));
    assertEquals(List.of(), leftovers());
  }
}
