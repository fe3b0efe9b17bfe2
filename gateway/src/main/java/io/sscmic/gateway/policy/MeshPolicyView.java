package io.sscmic.gateway.policy;

import io.sscmic.gateway.handshake.RevocationCheck;
import io.sscmic.gateway.mux.FileStreamPolicy;
import io.sscmic.gateway.mux.StreamPolicy;
import io.sscmic.keysyn.StateFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * A v2 node's copy of the mesh policy and the authority's revocations, as the registry watch sends
 * them ({@code {type: policy, version, lines, revoked}}, each line the whole policy). It is the
 * node's {@link StreamPolicy} (each stream open is checked against the policy of that moment;
 * streams already open are not cut) and its handshakes' {@link RevocationCheck}; a node newly
 * revoked is handed to {@link #onRevoked} so its open connections close. The last policy is cached
 * on disk ({@value #CACHE_FILE}, beside the registry cache) and read at start: a node that cannot
 * reach the authority keeps it. Until one arrives (no cache), every member is allowed, as before.
 * A policy this node cannot parse is ignored with a warning (the last one stays).
 */
public final class MeshPolicyView implements StreamPolicy, RevocationCheck {
  private static final Logger LOG = Logger.getLogger(MeshPolicyView.class.getName());
  public static final String CACHE_FILE = "mesh-policy.json";

  private final Vertx vertx;
  private final String nodeId;
  private final Path cacheFile;
  private volatile StreamPolicy policy = StreamPolicy.ALLOW_MEMBERS;
  private volatile Set<String> revoked = Set.of();
  private volatile long version = -1;
  private volatile Consumer<Set<String>> onRevoked = ids -> { };
  private JsonObject last;

  public MeshPolicyView(Vertx vertx, String nodeId, Path cacheFile) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.cacheFile = cacheFile;
  }

  /** Reads the cached policy, if any (then applies it). */
  public Future<MeshPolicyView> start() {
    if (cacheFile == null) {
      return Future.succeededFuture(this);
    }
    return vertx.executeBlocking(() -> Files.exists(cacheFile) ? Files.readString(cacheFile) : null)
        .map(text -> {
          if (text != null) {
            try {
              apply(new JsonObject(text), false);
              LOG.info(() -> nodeId + ": mesh policy version " + version + " from the cache " + cacheFile
                  + " (replaced once the authority answers)");
            } catch (RuntimeException e) {
              LOG.warning(() -> nodeId + ": ignoring the mesh policy cache " + cacheFile + " (" + e.getMessage() + ")");
            }
          }
          return this;
        })
        .otherwise(e -> {
          LOG.warning(() -> nodeId + ": cannot read the mesh policy cache " + cacheFile + ": " + e.getMessage());
          return this;
        });
  }

  /** What to do with node ids that are newly revoked (close their connections). */
  public void onRevoked(Consumer<Set<String>> action) {
    onRevoked = action;
  }

  /** Applies one {@code policy} line of the watch. */
  public void accept(JsonObject line) {
    apply(line, true);
  }

  private synchronized void apply(JsonObject line, boolean save) {
    if (line.equals(last)) {
      return;
    }
    List<String> lines = new ArrayList<>();
    for (Object o : line.getJsonArray("lines", new JsonArray())) {
      lines.add((String) o);
    }
    long v = line.getLong("version", 0L);
    StreamPolicy parsed;
    try {
      parsed = FileStreamPolicy.parse(lines, "the authority's policy version " + v);
    } catch (FileStreamPolicy.PolicyFormatException e) {
      LOG.warning(() -> nodeId + ": ignoring the mesh policy version " + v + ": " + e.getMessage()
          + " (keeping version " + version + ")");
      return;
    }
    Set<String> now = new TreeSet<>();
    for (Object o : line.getJsonArray("revoked", new JsonArray())) {
      now.add((String) o);
    }
    Set<String> fresh = new TreeSet<>(now);
    fresh.removeAll(revoked);
    boolean changed = v != version;
    policy = parsed;
    revoked = Set.copyOf(now);
    version = v;
    last = line.copy();
    if (changed && save) {
      LOG.info(() -> nodeId + ": mesh policy version " + v + " applies to new streams (open ones continue)");
    }
    if (!fresh.isEmpty()) {
      LOG.warning(() -> nodeId + ": the authority revoked " + fresh + ": closing their tunnel v2 connections and"
          + " refusing their handshakes");
      onRevoked.accept(Set.copyOf(fresh));
    }
    if (save && cacheFile != null) {
      byte[] bytes = line.encode().getBytes(StandardCharsets.UTF_8);
      vertx.executeBlocking(() -> {
        StateFiles.write(cacheFile, bytes, true);
        return null;
      }).onFailure(e -> LOG.warning(() -> nodeId + ": cannot write the mesh policy cache " + cacheFile + ": "
          + e.getMessage()));
    }
  }

  @Override
  public Decision check(String callerNodeId, String service) {
    if (revoked.contains(callerNodeId)) {
      return Decision.refuse("node " + callerNodeId + " is revoked");
    }
    return policy.check(callerNodeId, service);
  }

  @Override
  public boolean isRevoked(String nodeId, X509Certificate certificate) {
    Set<String> r = revoked;
    return r.contains(nodeId) || r.contains("serial:" + certificate.getSerialNumber().toString(16));
  }

  /** Whether {@code nodeId} is revoked now. */
  public boolean isRevoked(String nodeId) {
    return revoked.contains(nodeId);
  }

  /** How many node ids and serials are revoked now. */
  public int revokedCount() {
    return revoked.size();
  }

  /** The version applied now, -1 before any. */
  public long version() {
    return version;
  }
}
