package io.sscmic.authority.registry;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.keysyn.registry.Registration;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The registry's HTTP routes on the authority's mutual-TLS port:
 * <ul>
 *   <li>{@code PUT /v1/registry/self {services, endpoint: {host?, port}}}: registers or renews the
 *       caller's entry. The node id is the certificate's; a body naming another node is refused,
 *       and so is a service whose owners (authority.yaml {@code registry.owners}) do not include it.
 *       Without {@code endpoint.host} the request's source address is taken.</li>
 *   <li>{@code DELETE /v1/registry/self}: removes the caller's entry (drain, stop).</li>
 *   <li>{@code GET /v1/registry/watch?since=ID:VERSION}: a chunked stream, one JSON object a line: a
 *       {@code snapshot} (or the {@code update}s after {@code since}), then every {@code update} as
 *       it happens, and a {@code ping} every {@link #pingInterval} so a dead stream shows. With
 *       {@code policy=1} also a {@code policy} line (the mesh policy, its version and the revoked
 *       node ids and serials) after the first lines and again on every change.</li>
 * </ul>
 * A watcher that cannot keep up (its write queue full) is disconnected; it reconnects and resumes.
 */
public final class RegistryEndpoints {
  private static final Logger LOG = Logger.getLogger(RegistryEndpoints.class.getName());
  /** The most a watcher is sent between two of its reads before it is dropped. */
  static final int MAX_QUEUED_BYTES = 1024 * 1024;

  private final Vertx vertx;
  private final ServiceRegistry registry;
  private final RegistrySettings settings;
  private final RequestGate gate;
  private final io.sscmic.authority.policy.PolicyFeed policy;
  private long sweepTimer = -1;
  /** When this registry started empty: its first renewal period is a warm-up (see {@link #watch}). */
  private final long startedNanos = System.nanoTime();
  /** The longest a watch is held during the warm-up: under the nodes' 15 s idle bound. */
  static final Duration MAX_HOLD = Duration.ofSeconds(10);

  public RegistryEndpoints(Vertx vertx, ServiceRegistry registry, RegistrySettings settings, RequestGate gate,
                           MeterRegistry meters, String authorityId) {
    this(vertx, registry, settings, gate, meters, authorityId, new io.sscmic.authority.policy.PolicyFeed());
  }

  /** @param policy the mesh policy and revocations, sent to watchers that ask ({@code ?policy=1}) */
  public RegistryEndpoints(Vertx vertx, ServiceRegistry registry, RegistrySettings settings, RequestGate gate,
                           MeterRegistry meters, String authorityId, io.sscmic.authority.policy.PolicyFeed policy) {
    this.policy = policy;
    this.vertx = vertx;
    this.registry = registry;
    this.settings = settings;
    this.gate = gate;
    Gauge.builder("sscmic.authority.registry.entries", registry, ServiceRegistry::size)
        .description("Nodes registered in the service registry now").tag("node", authorityId).register(meters);
    Gauge.builder("sscmic.authority.registry.watchers", registry, ServiceRegistry::watchers)
        .description("Open registry watch streams").tag("node", authorityId).register(meters);
    FunctionCounter.builder("sscmic.authority.registry.expired", registry, ServiceRegistry::expiredCount)
        .description("Registry entries removed because their lease lapsed (a node that died or lost the authority)")
        .tag("node", authorityId).register(meters);
  }

  /** Adds the routes and starts the lease sweep (on the caller's context). */
  public void mount(Router router) {
    router.put("/v1/registry/self").handler(this::register);
    router.delete("/v1/registry/self").handler(this::deregister);
    router.get("/v1/registry/watch").handler(this::watch);
    long every = Math.max(20, Math.min(settings.ttl().toMillis() / 4, 1000));
    sweepTimer = vertx.setPeriodic(every, t -> {
      List<String> gone = registry.expire();
      if (!gone.isEmpty()) {
        LOG.info(() -> "authority: registry: lease lapsed for " + gone + " (no renewal for "
            + settings.ttl().toMillis() + " ms)");
      }
    });
  }

  public void stop() {
    vertx.cancelTimer(sweepTimer);
  }

  /** How often an idle watch stream gets a ping: the renewal period, at most 5 s. */
  Duration pingInterval() {
    return settings.renew().compareTo(Duration.ofSeconds(5)) < 0 ? settings.renew() : Duration.ofSeconds(5);
  }

  private void register(RoutingContext rc) {
    String node = gate.caller(rc, "register");
    if (node == null) {
      return;
    }
    JsonObject body;
    List<String> services = new ArrayList<>();
    String host;
    int port;
    try {
      body = rc.body().asJsonObject();
      Object claimed = body.getValue("node");
      if (claimed != null && !node.equals(claimed)) {
        gate.refuse(rc, 403, "register.wrong_node", "a node registers only itself: this certificate is for '"
            + node + "'");
        return;
      }
      JsonArray list = body.getJsonArray("services");
      for (Object s : list) {
        services.add((String) s);
      }
      JsonObject endpoint = body.getJsonObject("endpoint");
      host = endpoint.getString("host");
      port = endpoint.getInteger("port");
    } catch (Exception e) {
      gate.refuse(rc, 400, "register.malformed", "expected JSON {services: [names], endpoint: {host?, port}}");
      return;
    }
    if (host == null) {
      host = rc.request().remoteAddress().hostAddress();
    }
    String problem = Registration.problem(services, host, port);
    if (problem != null) {
      gate.refuse(rc, 400, "register.invalid", problem);
      return;
    }
    for (String service : services) {
      if (!settings.mayServe(node, service)) {
        gate.refuse(rc, 403, "register.not_owner", "node '" + node + "' may not serve '" + service
            + "' (registry.owners on the authority)");
        return;
      }
    }
    Registration entry = new Registration(node, services, host, port);
    ServiceRegistry.Outcome outcome = registry.register(entry, TimeUnit.MILLISECONDS.toNanos(settings.ttl().toMillis()));
    gate.count(outcome == ServiceRegistry.Outcome.RENEWED ? "register.renewed" : "register.ok");
    if (outcome != ServiceRegistry.Outcome.RENEWED) {
      String h = host;
      LOG.info(() -> "authority: registry: node '" + node + "' serves " + services + " at " + h + ":" + port
          + (outcome == ServiceRegistry.Outcome.CHANGED ? " (changed)" : ""));
    }
    rc.response().putHeader("content-type", "application/json").end(new JsonObject().put("node", node)
        .put("ttlMillis", settings.ttl().toMillis()).put("renewMillis", settings.renew().toMillis())
        .put("version", registry.version()).encode());
  }

  private void deregister(RoutingContext rc) {
    String node = gate.caller(rc, "deregister");
    if (node == null) {
      return;
    }
    boolean had = registry.deregister(node);
    gate.count(had ? "deregister.ok" : "deregister.absent");
    if (had) {
      LOG.info(() -> "authority: registry: node '" + node + "' left");
    }
    rc.response().putHeader("content-type", "application/json").end(new JsonObject().put("node", node)
        .put("removed", had).put("version", registry.version()).encode());
  }

  private void watch(RoutingContext rc) {
    String node = gate.caller(rc, "watch");
    if (node == null) {
      return;
    }
    HttpServerResponse resp = rc.response().setChunked(true).putHeader("content-type", "application/x-ndjson")
        .putHeader("cache-control", "no-store");
    Context context = vertx.getOrCreateContext();
    boolean[] done = {false};
    long[] ping = {-1};
    ServiceRegistry.Subscription[] sub = {null};
    Runnable[] policySub = {null};
    Runnable end = () -> {
      if (!done[0]) {
        done[0] = true;
        vertx.cancelTimer(ping[0]);
        if (sub[0] != null) {
          sub[0].cancel().run();
        }
        if (policySub[0] != null) {
          policySub[0].run();
        }
      }
    };
    java.util.function.Consumer<JsonObject> write = line -> {
      if (done[0]) {
        return;
      }
      if (resp.writeQueueFull()) {
        LOG.warning(() -> "authority: registry: watcher '" + node + "' does not keep up; disconnected (it resumes "
            + "from its last version when it reconnects)");
        gate.count("watch.slow");
        end.run();
        rc.request().connection().close();
        return;
      }
      resp.write(line.encode() + "\n");
    };
    resp.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
    resp.closeHandler(v -> end.run());
    rc.request().connection().closeHandler(v -> end.run());
    gate.count("watch.ok");
    String since = rc.request().getParam("since");
    boolean withPolicy = "1".equals(rc.request().getParam("policy"));
    Runnable open = () -> {
      if (done[0]) {
        return;
      }
      sub[0] = registry.subscribe(since, change -> context.runOnContext(v ->
          write.accept(change.toJson(registry.id()))));
      sub[0].first().forEach(write);
      if (withPolicy) {
        // Subscribed before the first line is taken: a change in between is sent twice, never lost.
        policySub[0] = policy.subscribe(line -> context.runOnContext(v -> write.accept(line)));
        write.accept(policy.line());
      }
      ping[0] = vertx.setPeriodic(pingInterval().toMillis(), t -> write.accept(registry.ping()));
    };
    long hold = warmUpLeftMillis();
    if (hold > 0 && (since == null || !since.startsWith(registry.id() + ":"))) {
      // A registry that just started (an authority restart) is empty until the nodes renew: a
      // snapshot now would empty every caller's view. The caller keeps routing by its last view
      // while it waits for the first full snapshot.
      vertx.setTimer(hold, t -> open.run());
    } else {
      open.run();
    }
  }

  /**
   * How much of the warm-up is left, in ms: one renewal period and a half, and at least the
   * longest retry delay of a node that kept failing while the authority was down ({@link
   * io.sscmic.keysyn.RetryBackoff#CAP_MILLIS}, jitter included) with a second and a half to spare
   * (3 s, as before the back-off's longest wait went from 2.5 to 1.5 s: the spare covers the
   * node's request on a loaded host); at most
   * {@link #MAX_HOLD}. With a short renewal period and only the first bound, a node still waiting
   * out its back-off missed the warm-up and every caller's view lost it until it renewed.
   */
  long warmUpLeftMillis() {
    long retry = io.sscmic.keysyn.RetryBackoff.CAP_MILLIS + 1_500;
    long warmUp = Math.min(Math.max(settings.renew().toMillis() * 3 / 2, retry), MAX_HOLD.toMillis());
    return warmUp - (System.nanoTime() - startedNanos) / 1_000_000;
  }
}
