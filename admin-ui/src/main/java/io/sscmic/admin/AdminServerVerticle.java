package io.sscmic.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.ui.Dashboard;
import io.sscmic.admin.ui.DashboardSecrets;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * A node's admin port: {@code /metrics} (Prometheus text), {@code /healthz} (the process
 * answers), {@code /readyz} (the node says it can carry traffic), all three open to scrapers and
 * probes; {@code /status} (JSON, HTTP Basic with the dashboard password) and the password-protected
 * dashboard under {@code /ui/}. Binds to loopback unless told otherwise: these pages describe the
 * mesh.
 */
public final class AdminServerVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(AdminServerVerticle.class.getName());
  private static final DeliveryOptions ASK = new DeliveryOptions().setLocalOnly(true).setSendTimeout(2000);

  private final String node;
  private final SocketAddress listen;
  private final PrometheusMeterRegistry registry;
  private final String passwordHash;
  private final AdminTls tls;
  private final Path stateDir;
  private HttpServer server;
  private Dashboard dashboard;
  private DashboardSecrets secrets;

  /** An admin port whose dashboard password is generated at start into a temporary 0600 file. */
  public AdminServerVerticle(String node, SocketAddress listen, PrometheusMeterRegistry registry) {
    this(node, listen, registry, null);
  }

  /** @param passwordHash the dashboard password's stored form (admin.password-hash), or null to generate one */
  public AdminServerVerticle(String node, SocketAddress listen, PrometheusMeterRegistry registry,
                             String passwordHash) {
    this(node, listen, registry, passwordHash, null);
  }

  /** @param tls the admin port's certificate and key (admin.tls), or null for plain HTTP */
  public AdminServerVerticle(String node, SocketAddress listen, PrometheusMeterRegistry registry,
                             String passwordHash, AdminTls tls) {
    this(node, listen, registry, passwordHash, tls, null);
  }

  /**
   * @param stateDir where a generated dashboard password is written ({@code admin-password}, 0600),
   *     or null for a temporary file; unused when {@code passwordHash} is set
   */
  public AdminServerVerticle(String node, SocketAddress listen, PrometheusMeterRegistry registry,
                             String passwordHash, AdminTls tls, Path stateDir) {
    this.stateDir = stateDir;
    this.tls = tls;
    this.node = node;
    this.listen = listen;
    this.registry = registry;
    this.passwordHash = passwordHash;
    BuildInfo.register(registry, node);
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> DashboardSecrets.prepare(node, passwordHash, stateDir))
        .compose(s -> {
          secrets = s;
          return serverOptions().compose(options -> serve(s, options));
        });
  }

  /** HTTP/1.1 only, with the PEM certificate and key read through Vert.x's file system when TLS is on. */
  private Future<HttpServerOptions> serverOptions() {
    // HTTP/1.1 only: Prometheus, browsers and curl speak it on plain http, and the h2c upgrade path
    // answered `curl --http2` with an empty 101 and once stalled a JDK client's scrape for minutes.
    // Scrapes and dashboard polls are not traced (tracing is for the data path: docs "Tracing").
    HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false)
        .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE);
    if (tls == null) {
      return Future.succeededFuture(options);
    }
    Future<io.vertx.core.buffer.Buffer> cert = read(tls.certFile(), "admin.tls.cert-file");
    Future<io.vertx.core.buffer.Buffer> key = read(tls.keyFile(), "admin.tls.key-file");
    return Future.all(cert, key).map(v -> options.setSsl(true).setUseAlpn(false)
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(cert.result()).setKeyValue(key.result())));
  }

  private Future<io.vertx.core.buffer.Buffer> read(String path, String configKey) {
    return vertx.fileSystem().readFile(path).recover(e -> Future.failedFuture(new IllegalStateException(
        "config key '" + configKey + "': cannot read " + path + ": " + e.getMessage(), e)));
  }

  private Future<?> serve(DashboardSecrets secrets, HttpServerOptions options) {
    if (tls == null && !isLoopback(listen.host())) {
      LOG.warning(() -> node + ": admin.listen " + listen.host() + " is not loopback, and the admin port has no TLS (admin.tls):"
          + " the dashboard password and session cookie cross the network in clear; prefer 127.0.0.1 and an SSH tunnel");
    }
    Router router = Router.router(vertx);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.get("/healthz").handler(rc -> rc.response().putHeader("content-type", "text/plain").end("ok\n"));
    router.get("/readyz").handler(this::ready);
    dashboard = new Dashboard(vertx, node, secrets, registry, new EventBusNodeLink(vertx, node));
    // /status lists the mesh (on the authority: every node, certificate expiries, revocations): the
    // dashboard password guards it, as HTTP Basic for curl. /metrics, /healthz, /readyz stay open.
    router.get("/status").handler(dashboard.operatorAuth()).handler(this::status);
    router.get("/").handler(rc -> rc.redirect("/ui/"));
    // Vert.x matches "/ui" and "/ui/" alike: only the bare one is redirected (relative links need the slash).
    router.get("/ui").handler(rc -> {
      if (rc.request().path().equals("/ui")) {
        rc.redirect("/ui/");
      } else {
        rc.next();
      }
    });
    router.route("/ui/*").subRouter(dashboard.router(tls != null));
    router.route().handler(rc -> rc.response().setStatusCode(404).putHeader("content-type", "text/plain")
        .end("not found: the admin port serves /metrics, /healthz, /readyz, /status and the dashboard /ui/\n"));
    server = vertx.createHttpServer(options).requestHandler(router);
    String scheme = tls == null ? "http" : "https";
    return server.listen(listen)
        .onSuccess(s -> LOG.info(() -> node + ": admin port on " + listen.host() + ":" + s.actualPort()
            + " (/metrics /healthz /readyz; /status with the dashboard password; dashboard " + scheme + "://" + listen.host() + ":"
            + s.actualPort() + "/ui/)"))
        .recover(e -> Future.failedFuture(new IllegalStateException(
            "cannot bind admin.listen " + listen + ": " + e.getMessage(), e)));
  }

  @Override
  public Future<?> stop() {
    if (dashboard != null) {
      dashboard.close();
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    if (secrets == null || secrets.generatedPasswordFile() == null) {
      return closed;
    }
    // The generated password is good for this run only: its file goes with it (best effort).
    String file = secrets.generatedPasswordFile().toString();
    return closed.eventually(() -> vertx.fileSystem().delete(file).otherwiseEmpty());
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }

  public int port() {
    return server.actualPort();
  }

  private void ready(RoutingContext rc) {
    vertx.eventBus().<JsonObject>request(AdminAddresses.ready(node), null, ASK).onComplete(ar -> {
      JsonObject body = ar.succeeded() ? ar.result().body()
          : new JsonObject().put("ready", false).put("reason", "node not answering: " + ar.cause().getMessage());
      rc.response().setStatusCode(body.getBoolean("ready", false) ? 200 : 503)
          .putHeader("content-type", "application/json").end(body.encodePrettily() + "\n");
    });
  }

  private void status(RoutingContext rc) {
    vertx.eventBus().<JsonObject>request(AdminAddresses.status(node), null, ASK).onComplete(ar -> {
      if (ar.succeeded()) {
        rc.response().putHeader("content-type", "application/json").end(ar.result().body().encodePrettily() + "\n");
      } else {
        rc.response().setStatusCode(503).putHeader("content-type", "text/plain")
            .end("status unavailable: " + ar.cause().getMessage() + "\n");
      }
    });
  }
}
