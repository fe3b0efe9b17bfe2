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
 * Revoked certificates and nodes, one per line in the authority's {@code revoked} file (0600):
 * {@code serial:<hex>} for one certificate, a bare node id for every certificate a node holds.
 * A revoked certificate can no longer recover the key state or renew, so its holder cannot learn
 * a key chain scheduled after the revocation: revoke, then re-seed, shuts it out of the tunnel.
 * Revoking a serial leaves the node's other certificate alone (the real node keeps working when a
 * thief's serial is revoked); a revoked node is re-admitted by enrolling with a new token. Reads
 * are lock-free; changes write the file and are blocking (call them on a worker).
 */
public final class Revocations {
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final String SERIAL = "serial:";
  private final Path file;
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  /** With a shared set: the lines last written to the file (its mirror); others in the file are new input. */
  private final Set<String> mirrored = ConcurrentHashMap.newKeySet();
  /** The revocations the authority replicas share (etcd), or null for one authority on its file. */
  private final Shared shared;

  private Revocations(Path file) {
    this(file, null);
  }

  private Revocations(Path file, Shared shared) {
    this.file = file;
    this.shared = shared;
  }

  /**
   * Revocations kept where every authority replica sees them (issue 17 item 4): each line is one
   * key, added by a transaction that creates it if absent. Blocking calls.
   */
  public interface Shared {
    /** Every revocation line now (a linearizable read). */
    Set<String> all() throws IOException;

    /** @return false when the line was there already */
    boolean add(String line) throws IOException;

    void remove(String line) throws IOException;

    /** Calls {@code changed} (on some other thread) after any replica changed the set. */
    void watch(Runnable changed);

    /**
     * Adds {@code lines} if the shared set was never seeded (the first replica of an authority
     * that ran alone brings its revocations); later, a replica's file is only its mirror.
     */
    void seedOnce(Set<String> lines) throws IOException;
  }

  /**
   * Revocations shared by the replicas in {@code shared}, with {@code file} as this replica's
   * mirror and as the input of {@code sscmic policy revoke} on this machine: lines found in the
   * file that the replica did not hold yet are added to the shared set at each {@link #reload}.
   * Blocking.
   */
  public static Revocations shared(Path file, Shared shared) throws IOException {
    Revocations r = new Revocations(file, shared);
    // Not every line of a copied file: one re-admitted on another replica since the copy would come back.
    shared.seedOnce(r.readFile());
    r.revoked.addAll(shared.all());
    r.save(r.all());
    return r;
  }

  /** Whether the replicas share these revocations (in etcd): then they are read every second, file changed or not. */
  public boolean isShared() {
    return shared != null;
  }

  /** Calls {@code changed} when another replica changes the shared set (never for one authority). */
  public void onSharedChange(Runnable changed) {
    if (shared != null) {
      shared.watch(changed);
    }
  }

  private Set<String> readFile() throws IOException {
    Set<String> lines = new TreeSet<>();
    if (file != null && Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          lines.add(line.trim());
        }
      }
    }
    return lines;
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

  /**
   * Re-reads the file (another process, {@code sscmic policy revoke}, wrote it). Blocking.
   *
   * @return what the file revokes that was not revoked before
   */
  public synchronized Set<String> reload() throws IOException {
    if (shared != null) {
      // New lines in this machine's file (sscmic policy revoke here) join the shared set; the
      // shared set is then the truth, and the file its mirror.
      for (String line : readFile()) {
        if (!mirrored.contains(line)) { // written to the file since the last mirror: an operator's revocation
          shared.add(line);
        }
      }
      Set<String> now = shared.all();
      Set<String> added = new TreeSet<>(now);
      added.removeAll(revoked);
      revoked.retainAll(now);
      revoked.addAll(now);
      save(new TreeSet<>(now));
      return added;
    }
    if (file == null) {
      return Set.of();
    }
    Set<String> now = readFile();
    Set<String> added = new TreeSet<>(now);
    added.removeAll(revoked);
    revoked.retainAll(now);
    revoked.addAll(now);
    return added;
  }

  public boolean isRevoked(String node) {
    return revoked.contains(node);
  }

  public boolean isRevoked(java.math.BigInteger serial) {
    return revoked.contains(SERIAL + serial.toString(16));
  }

  /** @return false when the serial was already revoked. Blocking: rewrites the file. */
  public synchronized boolean revoke(java.math.BigInteger serial) throws IOException {
    return add(SERIAL + serial.toString(16));
  }

  /** A node enrolled again with a new token: its new certificate is not revoked. Blocking. */
  public synchronized boolean readmit(String node) throws IOException {
    if (!revoked.contains(node)) {
      return false;
    }
    if (shared != null) {
      shared.remove(node);
    }
    Set<String> rest = all();
    rest.remove(node);
    save(rest);
    revoked.remove(node);
    return true;
  }

  private void save(Set<String> lines) throws IOException {
    if (shared != null) {
      mirrored.clear();
      mirrored.addAll(lines);
    }
    if (file != null) {
      // Rewritten whole rather than appended to: a full disk must not leave a torn last line.
      StringBuilder text = new StringBuilder();
      for (String id : lines) {
        text.append(id).append('\n');
      }
      StateFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8), true);
    }
  }

  private boolean add(String line) throws IOException {
    if (shared != null) {
      // The shared set first: a revocation this replica reports made is one every replica sees.
      boolean fresh = shared.add(line);
      if (revoked.add(line)) {
        save(all());
        return true;
      }
      return fresh;
    }
    if (revoked.contains(line)) {
      return false;
    }
    Set<String> next = all();
    next.add(line);
    save(next);
    revoked.add(line);
    return true;
  }

  public Set<String> all() {
    return new TreeSet<>(revoked);
  }

  /** @return false when the node was already revoked. Blocking: rewrites the file. */
  public synchronized boolean revoke(String node) throws IOException {
    if (!NODE_ID.matcher(node).matches()) {
      throw new IllegalArgumentException("a node id is letters, digits, '.', '_' or '-', at most 63 characters");
    }
    return add(node);
  }
}
