package io.sscmic.keysyn;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every state file (keys, certificates, the chain, used tokens, revocations) is replaced whole:
 * written to a temporary file beside it, forced to disk, renamed over the old one, and the
 * directory forced too. A crash or a full disk at any point leaves either the old file or the new
 * one, never a torn mix; a failed write removes its temporary file and says which file it could
 * not write and that the old one is unchanged. Blocking: call from a worker, never an event loop.
 */
public final class StateFiles {
  private StateFiles() {
  }

  /** One file to write: its path, its bytes, and whether it is secret (0600) or not (0644). */
  public record Content(Path path, byte[] bytes, boolean secret) {
  }

  public static void write(Path path, byte[] bytes, boolean secret) throws IOException {
    writeTogether(List.of(new Content(path, bytes, secret)));
  }

  /**
   * Writes several files that belong together (a key and its certificate): every temporary file
   * is written and forced before the first rename, so a full disk cannot leave one new file
   * beside an old partner. Renames need no space.
   */
  public static void writeTogether(List<Content> files) throws IOException {
    List<Path> temps = new ArrayList<>();
    try {
      for (Content c : files) {
        temps.add(writeTemp(c));
      }
      Set<Path> dirs = new LinkedHashSet<>();
      for (int i = 0; i < files.size(); i++) {
        Path target = files.get(i).path();
        Files.move(temps.get(i), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        dirs.add(target.toAbsolutePath().getParent());
      }
      for (Path dir : dirs) {
        // The rename is durable only once the directory entry is on disk.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
          ch.force(true);
        }
      }
    } finally {
      for (Path t : temps) {
        Files.deleteIfExists(t);
      }
    }
  }

  private static Path writeTemp(Content c) throws IOException {
    Path dir = c.path().toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + c.path().getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString(c.secret() ? "rw-------" : "rw-r--r--")));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(c.bytes());
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      return tmp;
    } catch (IOException e) {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
      throw new IOException("cannot write " + c.path() + ": " + reason(e) + " (the previous file, if any, is "
          + "unchanged)", e);
    }
  }

  private static String reason(IOException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
