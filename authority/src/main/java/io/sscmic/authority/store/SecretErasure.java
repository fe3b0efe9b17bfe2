package io.sscmic.authority.store;

import io.sscmic.keysyn.StateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Replacing and removing secret files so that the old content is gone, not merely unlinked: the
 * old file is kept as a hard link while the new one is written (a crash leaves a whole file
 * either way), then overwritten with zeros in place, forced to disk and deleted. What this cannot
 * reach: copy-on-write file systems, snapshots, backups and SSD remapping may keep the old blocks;
 * docs/SECURITY.md says so. Blocking: call on a worker or the command-line thread.
 */
public final class SecretErasure {
  private SecretErasure() {
  }

  /** Where the old content waits for erasure while its replacement is written. */
  public static Path old(Path file) {
    return file.resolveSibling(file.getFileName() + ".old");
  }

  /**
   * Writes files that belong together (a key and its certificate) in place of the old ones, and
   * erases the old content of the secret ones.
   */
  public static void replaceTogether(java.util.List<StateFiles.Content> files) throws IOException {
    java.util.List<Path> linked = new java.util.ArrayList<>();
    try {
      for (StateFiles.Content c : files) {
        if (c.secret()) {
          finishInterrupted(c.path());
          if (Files.exists(c.path())) {
            Files.createLink(old(c.path()), c.path());
            linked.add(old(c.path()));
          }
        }
      }
      StateFiles.writeTogether(files);
    } catch (IOException e) {
      for (Path p : linked) {
        Files.deleteIfExists(p);
      }
      throw e;
    }
    for (Path p : linked) {
      wipe(p);
    }
  }

  /** Writes {@code bytes} (mode 0600) in place of {@code file} and erases what it held before. */
  public static void replace(Path file, byte[] bytes) throws IOException {
    Path old = old(file);
    finishInterrupted(file);
    boolean linked = false;
    if (Files.exists(file)) {
      Files.createLink(old, file);
      linked = true;
    }
    try {
      StateFiles.write(file, bytes, true);
    } catch (IOException e) {
      if (linked) {
        Files.deleteIfExists(old);
      }
      throw e;
    }
    if (linked) {
      wipe(old);
    }
  }

  /**
   * Completes a replacement a crash interrupted: a leftover {@code .old} that is still the live
   * file (crash before the rename) is only unlinked; one that is not (crash after it) is erased.
   */
  public static void finishInterrupted(Path file) throws IOException {
    Path old = old(file);
    if (!Files.exists(old)) {
      return;
    }
    if (Files.exists(file) && Files.isSameFile(old, file)) {
      Files.delete(old);
    } else {
      wipe(old);
    }
  }

  /** Overwrites the file's bytes with zeros, forces them to disk, then deletes it. */
  public static void wipe(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(4096);
      long written = 0;
      while (written < size) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - written));
        written += ch.write(zeros, written);
      }
      ch.force(true);
    }
    Files.delete(file);
  }
}
