package io.sscmic.admin.ui;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a generated dashboard password goes instead of the log (which {@code --log-json} ships
 * elsewhere): {@code admin-password} in the node's or authority's state directory; for a node
 * without one, in systemd's {@code $STATE_DIRECTORY} when the unit has one (its private /tmp
 * would hide the file from the operator), else a new file with an unpredictable name in the
 * temporary directory. Created 0600 (owner only) from the start, never widened later. Blocking:
 * call on a worker.
 */
final class PasswordFile {
  static final String NAME = "admin-password";

  private PasswordFile() {
  }

  /**
   * The directory for the file: {@code stateDir}, else the first directory of systemd's
   * {@code STATE_DIRECTORY} (colon-separated), else null (a temporary file).
   */
  static Path directory(Path stateDir, String systemdStateDirectory) {
    if (stateDir != null) {
      return stateDir;
    }
    if (systemdStateDirectory == null || systemdStateDirectory.isBlank()) {
      return null;
    }
    return Path.of(systemdStateDirectory.split(":")[0]);
  }

  /** Writes {@code password} and a newline; returns the file's absolute path. */
  static Path write(Path configuredStateDir, String node, char[] password) {
    Path stateDir = directory(configuredStateDir, System.getenv("STATE_DIRECTORY"));
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] ownerOnly = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    try {
      Path file;
      if (stateDir != null) {
        Files.createDirectories(stateDir);
        file = stateDir.resolve(NAME);
        // A fresh file (O_EXCL, no symlink followed) rather than truncating one whose mode may be wider.
        Files.deleteIfExists(file);
        Files.createFile(file, ownerOnly);
      } else {
        file = Files.createTempFile("sscmic-" + node.replaceAll("[^A-Za-z0-9._-]", "_") + "-admin-password-", "",
            ownerOnly);
      }
      Files.writeString(file, new String(password) + "\n");
      return file.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the generated dashboard password to "
          + (stateDir == null ? "a temporary file" : stateDir.resolve(NAME)) + ": " + e.getMessage(), e);
    }
  }
}
