package io.sscmic.authority.policy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the registry watch carries besides the entries, for nodes that ask for it
 * ({@code ?policy=1}): the mesh policy with its version, and the roster's exclusions, the node ids
 * and certificate serials ({@code serial:<hex>}) the authority revoked. Sent whole as one
 * {@code {type: "policy", version, lines, revoked}} line when a watch opens and again on every
 * change (a policy is a few lines: no diffs). Thread-safe.
 */
public final class PolicyFeed {
  private final List<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();
  private MeshPolicy policy = MeshPolicy.DEFAULT;
  private Set<String> revoked = Set.of();

  /** The line a watcher gets now. */
  public synchronized JsonObject line() {
    return new JsonObject().put("type", "policy").put("version", policy.version())
        .put("lines", new JsonArray(policy.lines())).put("revoked", new JsonArray(List.copyOf(revoked)));
  }

  public synchronized MeshPolicy policy() {
    return policy;
  }

  public synchronized Set<String> revoked() {
    return revoked;
  }

  /** A new policy (from the file); sent to every watcher when it differs. */
  public void policy(MeshPolicy next) {
    JsonObject line;
    synchronized (this) {
      if (next.equals(policy)) {
        return;
      }
      policy = next;
      line = line();
    }
    listeners.forEach(l -> l.accept(line));
  }

  /** The revocations now; sent to every watcher when they differ. */
  public void revoked(Set<String> now) {
    JsonObject line;
    synchronized (this) {
      Set<String> next = java.util.Collections.unmodifiableSet(new TreeSet<>(now));
      if (next.equals(revoked)) {
        return;
      }
      revoked = next;
      line = line();
    }
    listeners.forEach(l -> l.accept(line));
  }

  /** Listens for changes; the returned action stops it. */
  public Runnable subscribe(Consumer<JsonObject> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
