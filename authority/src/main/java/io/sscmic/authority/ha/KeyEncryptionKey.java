package io.sscmic.authority.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * The key-encryption key (KEK) of the CA key's envelope in etcd: 32 bytes, base64 or hex, in a
 * local file of each authority replica ({@code etcd.kek-file}) that never goes to etcd. Whoever
 * reads etcd (a backup, a member's disk, a client with read access) gets only the envelope.
 */
public final class KeyEncryptionKey {
  private final byte[] key;
  private final Path file;

  private KeyEncryptionKey(byte[] key, Path file) {
    this.key = key;
    this.file = file;
  }

  /** A KEK from bytes (tests). */
  public static KeyEncryptionKey of(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("a KEK is 32 bytes");
    }
    return new KeyEncryptionKey(key.clone(), null);
  }

  /**
   * Reads the KEK file. Refuses a missing or unreadable file, one that others may read, and one
   * that does not hold exactly 32 bytes (base64 or hex), each with what to do.
   */
  public static KeyEncryptionKey read(Path file) throws InvalidKek {
    if (file == null) {
      throw new InvalidKek("etcd.kek-file is required with etcd.endpoints: the CA key is kept in etcd encrypted "
          + "under it (make one on the first replica with: head -c 32 /dev/urandom | base64 > kek; chmod 600 kek; "
          + "and copy it to every replica, never into etcd)");
    }
    if (!Files.isReadable(file)) {
      throw new InvalidKek("cannot read the key-encryption key " + file + " (etcd.kek-file): without it this replica "
          + "cannot open the CA key in etcd; copy the KEK file from another replica (0600)");
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
        throw new InvalidKek("the key-encryption key " + file + " is readable by group or others: chmod 600 " + file);
      }
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: nothing to check
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      throw new InvalidKek("cannot read the key-encryption key " + file + ": " + e.getMessage());
    }
    byte[] key = null;
    try {
      key = text.matches("[0-9a-fA-F]{64}") ? HexFormat.of().parseHex(text) : Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      // reported below
    }
    if (key == null || key.length != 32) {
      throw new InvalidKek("the key-encryption key " + file + " must hold 32 bytes, base64 or hex (make one with: "
          + "head -c 32 /dev/urandom | base64)");
    }
    return new KeyEncryptionKey(key, file);
  }

  byte[] bytes() {
    return key;
  }

  /** Names the KEK without revealing it: the first 16 hex digits of SHA-256("sscmic kek id" || key). */
  public String id() {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update("sscmic kek id".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(d.digest(key)).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Where it was read from, for messages; null for one made from bytes. */
  public Path file() {
    return file;
  }

  /** A KEK that cannot be used: the replica refuses to start with this message. */
  public static final class InvalidKek extends Exception {
    public InvalidKek(String message) {
      super(message);
    }
  }
}
