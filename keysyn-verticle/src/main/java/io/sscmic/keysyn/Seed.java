package io.sscmic.keysyn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * The shared mesh seed from which K0 is derived. Stored as base64 or hex text of at least 32
 * bytes, in a file readable by the sidecar only, or in an environment variable. Reading and
 * generating touch files and SecureRandom: call from a worker, never an event loop.
 */
public final class Seed {
  public static final int MIN_BYTES = 32;

  private Seed() {
  }

  public static byte[] parse(String text, String origin) {
    String t = text.strip();
    byte[] bytes;
    try {
      if (t.matches("[0-9a-fA-F]+") && t.length() % 2 == 0) {
        bytes = HexFormat.of().parseHex(t);
      } else {
        bytes = Base64.getDecoder().decode(t);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(origin + ": the seed is neither hex nor base64");
    }
    if (bytes.length < MIN_BYTES) {
      throw new IllegalArgumentException(origin + ": the seed has " + bytes.length
          + " bytes, at least " + MIN_BYTES + " are required");
    }
    return bytes;
  }

  public static byte[] readFile(Path path) throws IOException {
    if (!Files.isReadable(path)) {
      throw new IOException("seed file " + path + " does not exist or is not readable");
    }
    return parse(Files.readString(path, StandardCharsets.US_ASCII), "seed file " + path);
  }

  /** True when the file can be read by group or others (the operator should chmod 600). */
  public static boolean isExposed(Path path) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
      return perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ);
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  /** A fresh random seed as base64 text. */
  public static String generate(SecureRandom random) {
    byte[] b = new byte[MIN_BYTES];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /** Writes a fresh seed to a new file with mode 0600; refuses to overwrite. */
  public static void writeNew(Path path, SecureRandom random) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(path)) {
      throw new java.nio.file.FileAlreadyExistsException(path.toString());
    }
    // Written whole or not at all: a full disk must not leave an empty seed file that blocks a retry.
    StateFiles.write(path, (generate(random) + "\n").getBytes(StandardCharsets.US_ASCII), true);
  }
}
