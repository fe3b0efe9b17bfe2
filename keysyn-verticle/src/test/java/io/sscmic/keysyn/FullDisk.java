package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real full disk for tests: a 256 KiB tmpfs mounted on a temporary directory, filled with 4 KiB
 * files until the kernel answers ENOSPC. Mounting needs root (CI runs as root); elsewhere the test
 * is skipped and says so loudly, rather than passing without having seen a full disk.
 */
public final class FullDisk implements AutoCloseable {
  public final Path dir;
  private final List<Path> filler = new ArrayList<>();

  private FullDisk(Path dir) {
    this.dir = dir;
  }

  public static FullDisk mount() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) {
      System.err.println("*** NOT RUN: the disk-full tests need root to mount a tmpfs (CI runs as root) ***");
    }
    assumeTrue(root, "NOT RUN: the disk-full tests need root to mount a tmpfs (CI runs as root)");
    Path dir = Files.createTempDirectory("sscmic-full-disk");
    run("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", dir.toString());
    return new FullDisk(dir);
  }

  /** Writes 4 KiB files until the disk is full. */
  public void fill() throws IOException {
    byte[] page = new byte[4096];
    for (int i = 0; ; i++) {
      Path p = dir.resolve("filler-" + filler.size());
      try {
        Files.write(p, page);
        filler.add(p);
      } catch (IOException full) {
        Files.deleteIfExists(p);
        if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
          throw full;
        }
        return;
      }
    }
  }

  /** Frees {@code pages} pages of 4 KiB (all of them when negative). */
  public void free(int pages) throws IOException {
    while (!filler.isEmpty() && pages-- != 0) {
      Files.delete(filler.remove(filler.size() - 1));
    }
  }

  @Override
  public void close() throws Exception {
    run("umount", "-l", dir.toString());
    Files.deleteIfExists(dir);
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: "
          + new String(p.getInputStream().readAllBytes()));
    }
  }
}
