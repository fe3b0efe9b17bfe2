package io.sscmic.gateway.resolve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.keysyn.RetryBackoff;
import io.sscmic.keysyn.StateFiles;
import io.sscmic.keysyn.recovery.AuthorityClient;
import io.sscmic.keysyn.registry.RegistryStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Endpoints from the authority's service registry: one long-lived watch stream (a snapshot, then
 * changes) over the node's mutual-TLS connection to the authority, applied live to every
 * {@link EndpointWatch}. The stream is reopened with back-off when it breaks and resumes from the
 * last version seen. Each change is also written to a cache file (atomically, 0600), which is read
 * at start: a sidecar that restarts while the authority is down routes by its last view. Endpoints
 * carry the node id the authority registered them under (from the node's certificate).
 */
public final class AuthorityPeerResolver implements PeerResolver {
  private static final Logger LOG = Logger.getLogger(AuthorityPeerResolver.class.getName());
  /** No line (update or ping) for this long: the stream is taken as dead and reopened. */
  static final Duration IDLE = Duration.ofSeconds(15);

  private final Vertx vertx;
  private final String nodeId;
  private final Supplier<AuthorityClient> client;
  private final Path cacheFile;
  private final Context context;
  private final Watchers watchers = new Watchers();
  private final RegistryView view = new RegistryView();
  private final Counter reconnects;
  private RegistryStream stream;
  private long backoff = RetryBackoff.FIRST_MILLIS;
  private long timer = -1;
  private boolean everConnected;
  private boolean lost;
  private boolean saving;
  /** The cache has been read (start) and the stream was asked for (a first watch): both confined to {@link #context}. */
  private boolean loaded;
  private boolean streaming;
  private boolean dirty;
  private volatile boolean connected;
  private volatile boolean closed;
  private volatile int entries;
  /** Gets the watch's {@code policy} lines, or null: this node does not take the mesh policy. */
  private volatile Consumer<JsonObject> policy;

  /**
   * @param client the node's authority client (null until it has a certificate: then it waits)
   * @param cacheFile where the last view is kept, or null for none
   */
  public AuthorityPeerResolver(Vertx vertx, String nodeId, Supplier<AuthorityClient> client, Path cacheFile,
                               MeterRegistry registry) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.client = client;
    this.cacheFile = cacheFile;
    this.context = vertx.getOrCreateContext();
    reconnects = Counter.builder("sscmic.registry.watch.reconnects")
        .description("Times this sidecar reopened its registry watch after it broke (authority restarted or "
            + "unreachable, network, a stream gone idle)").tag("node", nodeId).register(registry);
    Gauge.builder("sscmic.registry.watch.connected", this, r -> r.connected ? 1 : 0)
        .description("1 while this sidecar's registry watch stream is open, 0 while it routes by its last view")
        .tag("node", nodeId).register(registry);
    Gauge.builder("sscmic.registry.view.entries", this, r -> r.entries)
        .description("Nodes in this sidecar's view of the service registry").tag("node", nodeId).register(registry);
  }

  @Override
  public String kind() {
    return "authority";
  }

  /** Loads the cached view (routes by it at once); the stream opens with the first watch. */
  public Future<AuthorityPeerResolver> start() {
    Future<String> cached = cacheFile == null ? Future.succeededFuture(null)
        : vertx.executeBlocking(() -> Files.exists(cacheFile) ? Files.readString(cacheFile) : null);
    return cached.transform(ar -> {
      io.vertx.core.Promise<AuthorityPeerResolver> p = io.vertx.core.Promise.promise();
      context.runOnContext(v -> {
        if (ar.failed()) {
          LOG.warning(() -> nodeId + ": cannot read the registry cache " + cacheFile + ": " + ar.cause().getMessage());
        } else if (ar.result() != null) {
          try {
            publish(view.apply(new JsonObject(ar.result())));
            LOG.info(() -> nodeId + ": registry view from the cache " + cacheFile + ": " + view.size()
                + " nodes, version " + view.version() + " (replaced once the authority answers)");
          } catch (RuntimeException e) {
            LOG.warning(() -> nodeId + ": ignoring the registry cache " + cacheFile + " (" + e.getMessage() + ")");
          }
        }
        loaded = true;
        if (!watchers.watched().isEmpty() || policy != null) {
          streaming = true;
          connect();
        }
        p.complete(this);
      });
      return p.future();
    });
  }

  private void connect() {
    timer = -1;
    if (closed) {
      return;
    }
    AuthorityClient c = client.get();
    if (c == null || c.identity() == null) {
      retry();
      return;
    }
    c.watchRegistry(view.version(), IDLE, policy != null, this::onEvent).onComplete(ar -> {
      if (closed) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        lose(ar.cause());
        retry();
        return;
      }
      stream = ar.result();
      connected = true;
      backoff = RetryBackoff.FIRST_MILLIS;
      if (lost || !everConnected) {
        LOG.info(() -> nodeId + ": watching the authority's registry" + (lost ? " again" : "")
            + (view.version() == null ? "" : " from version " + view.version()));
      }
      everConnected = true;
      lost = false;
      RegistryStream mine = stream;
      mine.ended().onComplete(end -> {
        if (stream == mine) {
          stream = null;
        }
        connected = false;
        if (!closed) {
          lose(end.failed() ? end.cause() : new IllegalStateException("the authority ended the stream"));
          retry();
        }
      });
    });
  }

  private void lose(Throwable why) {
    if (!lost) {
      lost = true;
      LOG.warning(() -> nodeId + ": registry watch " + (everConnected ? "lost" : "not open yet") + ": "
          + why.getMessage() + "; routing by the last view (" + view.size() + " nodes) and retrying");
    }
  }

  private void retry() {
    if (closed) {
      return;
    }
    long delay = RetryBackoff.jittered(backoff);
    backoff = RetryBackoff.next(backoff);
    reconnects.increment();
    timer = vertx.setTimer(delay, t -> context.runOnContext(v -> connect()));
  }

  private void onEvent(JsonObject event) {
    Consumer<JsonObject> p = policy;
    if (p != null && "policy".equals(event.getString("type"))) {
      p.accept(event);
      return;
    }
    Set<String> touched;
    try {
      touched = view.apply(event);
    } catch (RuntimeException e) {
      LOG.warning(() -> nodeId + ": registry sent an event this sidecar cannot apply (" + e.getMessage()
          + "); reopening the watch from a snapshot");
      RegistryStream s = stream;
      forgetVersion();
      if (s != null) {
        s.close();
      }
      return;
    }
    publish(touched);
    if (!"ping".equals(event.getString("type"))) {
      save();
    }
  }

  /** The next stream starts with a snapshot: the view keeps routing meanwhile. */
  private void forgetVersion() {
    view.forgetVersion();
  }

  private void publish(Set<String> touched) {
    entries = view.size();
    for (String service : touched) {
      watchers.publish(service, view.endpoints(service));
    }
  }

  /** Writes the view to the cache file on a worker; changes during a write are written after it. */
  private void save() {
    if (cacheFile == null) {
      return;
    }
    if (saving) {
      dirty = true;
      return;
    }
    saving = true;
    dirty = false;
    byte[] bytes = view.toJson().encode().getBytes(StandardCharsets.UTF_8);
    vertx.executeBlocking(() -> {
      StateFiles.write(cacheFile, bytes, true);
      return null;
    }).onComplete(ar -> context.runOnContext(v -> {
      saving = false;
      if (ar.failed()) {
        LOG.warning(() -> nodeId + ": cannot write the registry cache " + cacheFile + ": " + ar.cause().getMessage()
            + " (a restart while the authority is down would start without a view)");
      }
      if (dirty) {
        save();
      }
    }));
  }

  /**
   * Opens the stream with the first watch: a node that calls nothing by name (a pure server) holds
   * no watch on the authority.
   */
  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    EndpointWatch w = watchers.open(service, onChange);
    context.runOnContext(v -> {
      if (loaded && !streaming && !closed) {
        streaming = true;
        connect();
      }
    });
    return w;
  }

  /**
   * Takes the mesh policy and revocations from the watch ({@code policy} lines, each the whole
   * policy): opens the stream now, as a node that calls nothing by name still enforces the policy
   * on its callers. Call before the first {@link #watch} (the request asks for policy lines).
   */
  public void watchPolicy(Consumer<JsonObject> onPolicy) {
    policy = onPolicy;
    context.runOnContext(v -> {
      if (loaded && !streaming && !closed) {
        streaming = true;
        connect();
      }
    });
  }

  @Override
  public List<Endpoint> endpoints(String service) {
    return watchers.get(service);
  }

  /** Whether the watch stream is open now. */
  public boolean connected() {
    return connected;
  }

  /** Stops watching (the cache file stays for the next start). */
  public Future<Void> close() {
    closed = true;
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (stream != null) {
        stream.close();
      }
      connected = false;
      p.complete();
    });
    return p.future();
  }
}
