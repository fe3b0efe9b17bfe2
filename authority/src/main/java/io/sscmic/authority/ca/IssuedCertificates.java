package io.sscmic.authority.ca;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.keysyn.StateFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one live certificate of each node. A node holds one active certificate; a renewal makes the
 * new one active and the one it replaces dead, so a copied key and certificate cannot keep a
 * second holder alive beside the node: whichever renews first leaves the other's certificate
 * superseded, and the next request with it is refused and reported as one node id with two keys.
 * Each node also keeps its enrollment time, which bounds how long renewals can be chained.
 *
 * <p>One allowance: the certificate a renewal replaced may renew once more as long as its
 * successor has never been used (the node's renewal answer was lost on the way). Kept in the
 * authority's {@code certificates} file (0600), one line per node; reads are lock-free, changes
 * write the file and are blocking (call them on a worker).
 */
public final class IssuedCertificates {
  public static final String NAME = AuthorityFiles.CERTIFICATES;

  /**
   * What the authority knows of one node.
   *
   * @param enrolled when the node last enrolled with a token (the renewal bound counts from it)
   * @param active the serial of its one live certificate, or null when it was revoked (the node
   *     needs a new enrollment token)
   * @param activeKey SHA-256 of that certificate's public key, hex, or "-"
   * @param previous the serial the last renewal replaced, or null
   * @param activeUsed whether the active certificate has been presented since it was issued
   */
  public record Entry(String node, Instant enrolled, BigInteger active, String activeKey, BigInteger previous,
                      boolean activeUsed) {
  }

  /** How a presented certificate stands. */
  public enum Standing {
    /** The node's active certificate. */
    ACTIVE,
    /** The certificate the last renewal replaced, whose successor was never used: may renew once more. */
    RENEWABLE_PREDECESSOR,
    /** Replaced by a newer certificate, or the node has no live one (revoked): refused. */
    SUPERSEDED,
    /**
     * No record of the node, and the certificate is older than this record (issued by an authority
     * from before the {@code certificates} file): adopted as the node's live one.
     */
    UNKNOWN
  }

  /**
   * The record shared by authority replicas (etcd, issue 17 item 4): one entry per node. A replica
   * writes there before its own file, and applies what the others write as it comes (a watch), so
   * a node enrolled or renewed at one replica recovers and renews at any other.
   */
  public interface Shared {
    /** Every node's entry. Blocking. */
    Map<String, Entry> all() throws IOException;

    /** Writes one node's entry. Blocking. */
    void put(Entry e) throws IOException;

    /** Deletes one node's entry. Blocking. */
    void remove(String node) throws IOException;

    /**
     * Writes {@code next} only if the node's shared entry is still {@code expected} (null: none),
     * as one compare-and-swap. Blocking.
     *
     * @return null when written; else the shared entry now ({@link Optional#empty()}: none), which
     *     the caller takes into its view before it decides again
     */
    default java.util.Optional<Entry> replace(Entry expected, Entry next) throws IOException {
      put(next);
      return null;
    }

    /** Calls {@code changed} with a node and its new entry (null: deleted) for each change, any replica's. */
    void watch(java.util.function.BiConsumer<String, Entry> changed);
  }

  private final Path file;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private volatile Shared shared;
  /** When this record began: certificates issued since then were recorded when issued. */
  private Instant since;

  private IssuedCertificates(Path file, Instant since) {
    this.file = file;
    this.since = since;
  }

  /** Kept in memory only (tests). */
  public static IssuedCertificates inMemory() {
    return new IssuedCertificates(null, Instant.now());
  }

  /** Reads {@code file} if it exists. Blocking. */
  public static IssuedCertificates load(Path file) throws IOException {
    IssuedCertificates c = new IssuedCertificates(file, Instant.now());
    if (Files.exists(file)) {
      int n = 0;
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        n++;
        String t = line.trim();
        if (t.startsWith("# since ")) {
          c.since = Instant.ofEpochSecond(Long.parseLong(t.substring("# since ".length()).trim()));
        }
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        try {
          Entry e = parse(t);
          c.entries.put(e.node(), e);
        } catch (IllegalArgumentException e) {
          throw new IOException(file + " line " + n + ": " + e.getMessage());
        }
      }
    }
    return c;
  }

  /** One entry as the file's line (and the shared record's value). */
  public static String line(Entry e) {
    return e.node() + ' ' + e.enrolled().getEpochSecond() + ' ' + (e.active() == null ? "-" : e.active().toString(16))
        + ' ' + e.activeKey() + ' ' + (e.previous() == null ? "-" : e.previous().toString(16)) + ' '
        + (e.activeUsed() ? '1' : '0');
  }

  /**
   * Reads one entry's line.
   *
   * @throws IllegalArgumentException naming the expected form when it is not one
   */
  public static Entry parse(String line) {
    String[] f = line.trim().split(" ");
    try {
      return new Entry(f[0], Instant.ofEpochSecond(Long.parseLong(f[1])), "-".equals(f[2]) ? null
          : new BigInteger(f[2], 16), f[3], "-".equals(f[4]) ? null : new BigInteger(f[4], 16), "1".equals(f[5]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("expected '<node> <enrolled> <serial> <key> <previous> <used>'");
    }
  }

  /**
   * Shares this record with the other authority replicas: the entries already in {@code with} win;
   * this record's entries that it lacks are written there (the first replica, which ran alone,
   * brings its nodes along); from then on every change goes there first, and the others' changes
   * are applied here and to this file. Blocking.
   */
  public synchronized void share(Shared with) throws IOException {
    Map<String, Entry> there = with.all();
    for (Entry e : entries.values()) {
      if (!there.containsKey(e.node())) {
        with.put(e);
      }
    }
    entries.putAll(there);
    save();
    this.shared = with;
    with.watch(this::applyShared);
    // Once more after the watch is up: what another replica wrote between the read and the watch.
    with.all().forEach(this::applyShared);
  }

  /** Another replica's change (or the echo of this one's): taken into memory and the file. */
  private synchronized void applyShared(String node, Entry e) {
    Entry old = e == null ? entries.remove(node) : entries.put(node, e);
    if (java.util.Objects.equals(old, e)) {
      return;
    }
    try {
      save();
    } catch (IOException x) {
      // The memory is right (and etcd is the record): the file catches up at the next change.
      java.util.logging.Logger.getLogger(IssuedCertificates.class.getName()).warning(
          () -> "authority: cannot write " + file + ": " + x.getMessage());
    }
  }

  public Entry entry(String node) {
    return entries.get(node);
  }

  public Map<String, Entry> all() {
    return new TreeMap<>(entries);
  }

  /** How {@code cert}, presented by {@code node}, stands; lock-free. */
  public Standing standing(String node, X509Certificate cert, boolean renewal) {
    Entry e = entries.get(node);
    if (e == null) {
      // Every certificate issued since this record began was recorded: an unknown newer one is not live.
      // (Issued certificates are backdated 60 s and their times truncated to the second: hence 61 s.)
      return cert.getNotBefore().toInstant().isBefore(since.minusSeconds(61)) ? Standing.UNKNOWN
          : Standing.SUPERSEDED;
    }
    BigInteger serial = cert.getSerialNumber();
    if (serial.equals(e.active())) {
      return Standing.ACTIVE;
    }
    if (renewal && serial.equals(e.previous()) && !e.activeUsed()) {
      return Standing.RENEWABLE_PREDECESSOR;
    }
    return Standing.SUPERSEDED;
  }

  /** A new enrollment: the node's certificate from now on; any earlier one is dead. Blocking. */
  public synchronized Entry enrolled(String node, X509Certificate cert, Instant now) throws IOException {
    Entry e = new Entry(node, now, cert.getSerialNumber(), fingerprint(cert.getPublicKey()), null, false);
    return put(e);
  }

  /**
   * A renewal: {@code fresh} replaces the presented certificate, atomically with the check that
   * the presented one may still renew (two holders renewing at once: one wins).
   *
   * @throws IllegalStateException when the presented certificate was superseded meanwhile
   */
  public synchronized Entry renewed(String node, X509Certificate presented, X509Certificate fresh, Instant now)
      throws IOException {
    // Shared by replicas (etcd): the decision is taken on this replica's view, which another
    // replica's change may not have reached yet (the watch's delay), so the write is a
    // compare-and-swap on the entry decided on; when another replica changed it meanwhile, the
    // decision is taken again on the entry etcd holds. Without it a copy of a renewed, already used
    // key could still renew at a replica whose view was a fraction of a second behind.
    for (int round = 0; ; round++) {
      Standing s = standing(node, presented, true);
      Entry old = entries.get(node);
      if (s == Standing.SUPERSEDED) {
        throw new IllegalStateException("superseded");
      }
      Instant enrolled = old == null ? now : old.enrolled();
      Entry next = new Entry(node, enrolled, fresh.getSerialNumber(), fingerprint(fresh.getPublicKey()),
          presented.getSerialNumber(), false);
      if (shared == null) {
        return putLocal(next);
      }
      java.util.Optional<Entry> current = shared.replace(old, next);
      if (current == null) {
        return putLocal(next);
      }
      if (round >= 8) {
        throw new IOException("the shared record of node '" + node + "' kept changing under this renewal");
      }
      // Another replica wrote first: take what etcd holds into this view and decide again.
      if (current.isPresent()) {
        entries.put(node, current.get());
      } else {
        entries.remove(node);
      }
    }
  }

  /** Records a node seen with a certificate this file does not know (adopted on upgrade). Blocking. */
  public synchronized Entry adopt(String node, X509Certificate cert, Instant now) throws IOException {
    Entry known = entries.get(node);
    if (known != null) {
      return known;
    }
    return put(new Entry(node, now, cert.getSerialNumber(), fingerprint(cert.getPublicKey()), null, true));
  }

  /** Notes that the active certificate is in use, which ends its predecessor's allowance. Blocking when it changes. */
  public synchronized void used(String node, BigInteger serial) throws IOException {
    Entry e = entries.get(node);
    if (e != null && serial.equals(e.active()) && !e.activeUsed()) {
      Entry marked = new Entry(e.node(), e.enrolled(), e.active(), e.activeKey(), e.previous(), true);
      if (shared != null) {
        try {
          shared.put(marked);
        } catch (IOException x) {
          // Recoveries are answered with etcd away (they need no shared write): this mark only ends
          // the predecessor's one renewal here; the other replicas learn it at the next change.
          java.util.logging.Logger.getLogger(IssuedCertificates.class.getName()).warning(
              () -> "authority: cannot share that node '" + e.node() + "' uses its new certificate: " + x.getMessage());
        }
      }
      putLocal(marked);
    }
  }

  /**
   * Drops what makes {@code serial} live for its node (revocation by serial): when it is the active
   * certificate, the node has none until it enrolls again. Blocking.
   *
   * @return the node whose certificate it was, or null
   */
  public synchronized String revoke(BigInteger serial) throws IOException {
    for (Entry e : entries.values()) {
      if (serial.equals(e.active())) {
        // The entry stays, without a live certificate: no other certificate of the node (the
        // replaced one a thief may also hold) can be adopted in its place; a new token re-admits.
        put(new Entry(e.node(), e.enrolled(), null, "-", null, false));
        return e.node();
      }
      if (serial.equals(e.previous())) {
        put(new Entry(e.node(), e.enrolled(), e.active(), e.activeKey(), null, e.activeUsed()));
        return e.node();
      }
    }
    return null;
  }

  /** Forgets a node (revoked by id): none of its certificates is live until it enrolls again. Blocking. */
  public synchronized Entry remove(String node) throws IOException {
    if (shared != null && entries.containsKey(node)) {
      shared.remove(node);
    }
    Entry old = entries.remove(node);
    if (old != null) {
      try {
        save();
      } catch (IOException e) {
        entries.put(node, old);
        throw e;
      }
    }
    return old;
  }

  private Entry put(Entry e) throws IOException {
    if (shared != null) {
      // The shared record first: when etcd cannot take it, nothing changed anywhere.
      shared.put(e);
    }
    return putLocal(e);
  }

  private Entry putLocal(Entry e) throws IOException {
    Entry old = entries.put(e.node(), e);
    try {
      save();
    } catch (IOException x) {
      if (old == null) {
        entries.remove(e.node());
      } else {
        entries.put(e.node(), old);
      }
      throw x;
    }
    return e;
  }

  private void save() throws IOException {
    if (file == null) {
      return;
    }
    StringBuilder text = new StringBuilder("# node, enrolled (Unix s), live serial, its key's SHA-256,"
        + " replaced serial, live one used\n# since " + since.getEpochSecond() + "\n");
    for (Entry e : all().values()) {
      text.append(line(e)).append('\n');
    }
    StateFiles.write(file, text.toString().getBytes(StandardCharsets.US_ASCII), true);
  }

  /** SHA-256 of an encoded public key, hex: how log lines and the file name a key. */
  public static String fingerprint(PublicKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
