package io.sscmic.authority.ca;

import io.sscmic.keysyn.StateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Revoked node ids, one per line in the authority's {@code revoked} file (0600). A revoked node
 * can no longer enroll, recover its key state or renew its certificate, so it cannot learn a key
 * chain scheduled after its revocation: revoke, then re-seed, shuts it out of the tunnel. Reads
 * are lock-free; {@link #revoke} writes the file and is blocking (call it on a worker).
 */
public final class Revocations {
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private final Path file;
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();

  private Revocations(Path file) {
    this.file = file;
  }

  /** No file and nobody revoked (tests and authorities that never revoke). */
  public static Revocations none() {
    return new Revocations(null);
  }

  /** Reads {@code file} if it exists. Blocking. */
  public static Revocations load(Path file) throws IOException {
    Revocations r = new Revocations(file);
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          r.revoked.add(line.trim());
        }
      }
    }
    return r;
  }

  public boolean isRevoked(String node) {
    return revoked.contains(node);
  }

  public Set<String> all() {
    return new TreeSet<>(revoked);
  }

  /** @return false when the node was already revoked. Blocking: appends to the file. */
  public synchronized boolean revoke(String node) throws IOException {
    if (!NODE_ID.matcher(node).matches()) {
      throw new IllegalArgumentException("a node id is letters, digits, '.', '_' or '-', at most 63 characters");
    }
    if (revoked.contains(node)) {
      return false;
    }
    if (file != null) {
      // Rewritten whole rather than appended to: a full disk must not leave a torn last line.
      StringBuilder text = new StringBuilder();
      for (String id : all()) {
        text.append(id).append('\n');
      }
      text.append(node).append('\n');
      StateFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8), true);
    }
    revoked.add(node);
    return true;
  }
}
