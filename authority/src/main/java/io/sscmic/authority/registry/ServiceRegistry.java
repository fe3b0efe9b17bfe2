package io.sscmic.authority.registry;

import io.sscmic.keysyn.registry.Registration;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The registry's state: one entry per node, each with a lease, a version that grows with every
 * change, and a bounded log of recent changes so a watcher that reconnects gets only what it
 * missed. Versions are scoped by an id drawn at start: after an authority restart a watcher's
 * {@code since} names another id and it gets a snapshot. In memory (nodes re-register within one
 * renewal period after a restart). Thread-safe.
 */
public final class ServiceRegistry {
  /** Changes kept for resuming watchers; one further behind gets a snapshot. */
  static final int LOG_SIZE = 4096;

  /** A change: {@code entry} null means the node's entry was removed. */
  public record Change(long version, String node, Registration entry) {
    public JsonObject toJson(String registryId) {
      return new JsonObject().put("type", "update").put("version", registryId + ":" + version).put("node", node)
          .put("entry", entry == null ? null : entry.toJson());
    }
  }

  /** How a registration went. */
  public enum Outcome { NEW, CHANGED, RENEWED }

  private record Leased(Registration entry, long expiresAtNanos) {
  }

  private final String id;
  private final LongSupplier nanos;
  private final Map<String, Leased> entries = new TreeMap<>();
  private final ArrayDeque<Change> log = new ArrayDeque<>();
  private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private long version;
  private long expired;
  /** Where this replica's registrations are shared with the other replicas (etcd), or null. */
  private volatile Mirror mirror;

  /**
   * The other side of a registry shared by authority replicas (issue 17 item 4): told of every
   * registration, renewal and removal made here. Must not block (called under this registry's lock,
   * on event loops).
   */
  public interface Mirror {
    void put(Registration entry, long ttlNanos);

    void delete(String node);
  }

  /** Shares this registry's changes from now on (etcd): registrations made on other replicas come back through {@link #applyRemote}. */
  public void mirror(Mirror m) {
    this.mirror = m;
  }

  public ServiceRegistry() {
    this(System::nanoTime);
  }

  ServiceRegistry(LongSupplier nanos) {
    byte[] b = new byte[6];
    new SecureRandom().nextBytes(b);
    this.id = HexFormat.of().formatHex(b);
    this.nanos = nanos;
  }

  /** This registry's id: versions mean something only with it. */
  public String id() {
    return id;
  }

  /** Adds or renews {@code entry} for {@code ttlNanos}; a changed entry is a new version. */
  public synchronized Outcome register(Registration entry, long ttlNanos) {
    Mirror m = mirror;
    if (m != null) {
      m.put(entry, ttlNanos);
    }
    return apply(entry, ttlNanos);
  }

  /**
   * A registration (or renewal) another replica made, from the shared store: applied here as
   * one made here, but not sent back.
   */
  public synchronized Outcome applyRemote(Registration entry, long ttlNanos) {
    return apply(entry, ttlNanos);
  }

  /** A removal (a deregistration, or a lapsed lease) from the shared store; not sent back. */
  public synchronized boolean removeRemote(String node) {
    if (entries.remove(node) == null) {
      return false;
    }
    publish(new Change(++version, node, null));
    return true;
  }

  private Outcome apply(Registration entry, long ttlNanos) {
    Leased before = entries.put(entry.node(), new Leased(entry, nanos.getAsLong() + ttlNanos));
    if (before != null && before.entry().equals(entry)) {
      return Outcome.RENEWED;
    }
    publish(new Change(++version, entry.node(), entry));
    return before == null ? Outcome.NEW : Outcome.CHANGED;
  }

  /** Removes a node's entry; false when it had none. */
  public synchronized boolean deregister(String node) {
    Mirror m = mirror;
    if (m != null) {
      m.delete(node);
    }
    if (entries.remove(node) == null) {
      return false;
    }
    publish(new Change(++version, node, null));
    return true;
  }

  /** Removes the entries whose lease lapsed; their nodes. */
  public synchronized List<String> expire() {
    long now = nanos.getAsLong();
    List<String> gone = new ArrayList<>();
    entries.forEach((node, l) -> {
      if (now - l.expiresAtNanos() >= 0) {
        gone.add(node);
      }
    });
    for (String node : gone) {
      entries.remove(node);
      expired++;
      publish(new Change(++version, node, null));
    }
    return gone;
  }

  private void publish(Change c) {
    log.addLast(c);
    if (log.size() > LOG_SIZE) {
      log.removeFirst();
    }
    for (Consumer<Change> l : listeners) {
      l.accept(c);
    }
  }

  /** The whole registry as the watch's first line. */
  public synchronized JsonObject snapshot() {
    JsonArray nodes = new JsonArray();
    entries.values().forEach(l -> nodes.add(l.entry().toJson()));
    return new JsonObject().put("type", "snapshot").put("version", id + ":" + version).put("entries", nodes);
  }

  /**
   * What a watcher that has seen {@code since} ({@code id:version}) needs to catch up, and a
   * listener for what follows, registered atomically with it so no change falls in between: the
   * changes after {@code since}, or a snapshot when {@code since} is absent, of another registry
   * or older than the log.
   */
  public synchronized Subscription subscribe(String since, Consumer<Change> listener) {
    List<JsonObject> first = catchUp(since);
    listeners.add(listener);
    return new Subscription(first, () -> listeners.remove(listener));
  }

  private List<JsonObject> catchUp(String since) {
    long seen = -1;
    if (since != null && since.startsWith(id + ":")) {
      try {
        seen = Long.parseLong(since.substring(id.length() + 1));
      } catch (NumberFormatException e) {
        seen = -1;
      }
    }
    long oldest = log.isEmpty() ? version + 1 : log.peekFirst().version();
    if (seen < 0 || seen > version || seen + 1 < oldest) {
      return List.of(snapshot());
    }
    List<JsonObject> changes = new ArrayList<>();
    for (Change c : log) {
      if (c.version() > seen) {
        changes.add(c.toJson(id));
      }
    }
    // A watcher up to date gets one line saying so (it resumes with nothing to apply).
    return changes.isEmpty() ? List.of(ping()) : changes;
  }

  /** A line that only says "still here, at this version". */
  public synchronized JsonObject ping() {
    return new JsonObject().put("type", "ping").put("version", id + ":" + version);
  }

  /** What a watcher gets first, and how it stops listening. */
  public record Subscription(List<JsonObject> first, Runnable cancel) {
  }

  /** Entries now. */
  public synchronized List<Registration> entries() {
    return entries.values().stream().map(Leased::entry).toList();
  }

  public synchronized int size() {
    return entries.size();
  }

  /** Entries removed because their lease lapsed, since start. */
  public synchronized long expiredCount() {
    return expired;
  }

  public synchronized long version() {
    return version;
  }

  public int watchers() {
    return listeners.size();
  }
}
