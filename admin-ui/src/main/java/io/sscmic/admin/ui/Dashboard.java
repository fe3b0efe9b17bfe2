package io.sscmic.admin.ui;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CSPHandler;
import io.vertx.ext.web.handler.CSRFHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.XFrameHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;
import io.vertx.ext.web.sstore.SessionStore;
import java.security.SecureRandom;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The browser dashboard under {@code /ui/}: a login page, the overview page, a JSON status
 * endpoint, a once-a-second server-sent event stream for the live charts, and actions. Everything
 * but the login page and its assets needs a logged-in session; every state change needs the CSRF
 * token. It reaches the node only through a {@link NodeLink} and the meter registry. Failed logins
 * slow the next attempt from that address and never lock anyone out ({@link LoginGate}).
 */
public final class Dashboard {
  private static final Logger LOG = Logger.getLogger(Dashboard.class.getName());
  private static final String USER = "sscmic.admin.user";
  /** Assets a browser may fetch before logging in. */
  private static final Set<String> PUBLIC = Set.of("/login.html", "/login.js", "/app.css");
  /** The uPlot webjar's files, served from the jar (the CSP allows no other origin). */
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist";
  /** The build's version from the jar manifest ("dev" when run from classes). */
  private static final String VERSION = java.util.Objects.requireNonNullElse(
      Dashboard.class.getPackage().getImplementationVersion(), "dev");
  static final long SESSION_MILLIS = 30 * 60_000L;

  private final Vertx vertx;
  private final String node;
  private final NodeLink link;
  private final String csrfSecret;
  private final MeterSnapshot meters;
  private final LoginGate gate;
  private final SessionStore sessions;
  private final MeterHistory history = new MeterHistory();
  private final long sampler;

  public Dashboard(Vertx vertx, String node, DashboardSecrets secrets, MeterRegistry registry, NodeLink link) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.csrfSecret = secrets.csrfSecret();
    this.meters = new MeterSnapshot(registry, node);
    this.gate = new LoginGate(vertx, node, secrets.password(), new DashboardMeters(registry, node), new SecureRandom());
    this.sessions = LocalSessionStore.create(vertx, "sscmic.admin.sessions." + node);
    // The charts' history lives here, not in the page: a reload shows the last 15 minutes at once.
    history.add(meters.take());
    this.sampler = vertx.setPeriodic(1000, t -> history.add(meters.take()));
  }

  /**
   * Guards a route outside {@code /ui/} (the admin port's {@code /status}) with HTTP Basic and the
   * dashboard password, throttled by the same gate as the login page.
   */
  public Handler<RoutingContext> operatorAuth() {
    return new OperatorBasicAuth(gate, node);
  }

  /** Ends the sessions (their store's cleanup timer stops): every operator logs in again. */
  public void close() {
    vertx.cancelTimer(sampler);
    sessions.close();
  }

  /**
   * The routes to mount under {@code /ui/}.
   *
   * @param secureCookies true when the admin port serves TLS: cookies then carry {@code Secure}
   */
  public Router router(boolean secureCookies) {
    Router r = Router.router(vertx);
    // Scripts, styles and data from this origin only: no inline script, no eval, no framing.
    r.route().handler(CSPHandler.create()
        .setDirective("default-src", "'none'")
        .setDirective("script-src", "'self'")
        .setDirective("style-src", "'self'")
        .setDirective("img-src", "'self'")
        .setDirective("connect-src", "'self'")
        .setDirective("form-action", "'self'")
        .setDirective("base-uri", "'none'")
        .setDirective("frame-ancestors", "'none'"));
    r.route().handler(XFrameHandler.create(XFrameHandler.DENY));
    r.route().handler(rc -> {
      rc.response().putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer")
          .putHeader("Cache-Control", "no-store");
      rc.next();
    });
    // Cookies are per node: several admin ports on one host share the browser's cookie jar.
    r.route().handler(SessionHandler.create(sessions)
        .setSessionCookieName("sscmic-admin-" + node).setSessionCookiePath("/ui")
        .setCookieHttpOnlyFlag(true).setCookieSameSite(CookieSameSite.STRICT).setCookieSecureFlag(secureCookies)
        .setSessionTimeout(SESSION_MILLIS).setNagHttps(false));
    r.post().handler(BodyHandler.create().setBodyLimit(4096));
    CSRFHandler csrf = CSRFHandler.create(vertx, csrfSecret).setCookieName("sscmic-xsrf-" + node)
        .setCookiePath("/ui").setCookieSecure(secureCookies).setCookieHttpOnly(true).setNagHttps(false);
    // Only the token endpoint and the state-changing requests pass the CSRF handler: a GET through
    // it may rotate the token, which would race with the page's own polling.
    r.get("/csrf").handler(csrf).handler(this::csrfToken);
    r.post().handler(csrf);
    r.post("/login").handler(this::login);
    r.route().handler(this::sessionGate);
    r.route("/vendor/uplot/*").handler(StaticHandler.create(UPLOT));
    r.post("/logout").handler(this::logout);
    r.get("/api/status").handler(this::status);
    r.get("/api/stream").handler(this::stream);
    r.get("/api/history").handler(rc -> json(rc.response(), new JsonObject()
        .put("windowSeconds", MeterHistory.WINDOW_SECONDS).put("points", history.points())));
    r.post("/api/actions/:name").handler(this::action);
    r.route().handler(StaticHandler.create("io/sscmic/admin/webroot").setIndexPage("index.html"));
    return r;
  }

  /** Lets the login page and its assets through; everything else needs a logged-in session. */
  private void sessionGate(RoutingContext rc) {
    String mount = rc.mountPoint() == null ? "" : rc.mountPoint().replaceAll("/+$", "");
    String path = rc.normalizedPath().substring(mount.length());
    if (PUBLIC.contains(path) || rc.session().get(USER) != null) {
      rc.next();
    } else if (path.startsWith("/api/") || rc.request().method().name().equals("POST")) {
      json(rc.response().setStatusCode(401), new JsonObject().put("error", "log in first"));
    } else {
      rc.redirect("/ui/login.html");
    }
  }

  private void csrfToken(RoutingContext rc) {
    json(rc.response(), new JsonObject().put("token", (String) rc.get("X-XSRF-TOKEN")));
  }

  private void login(RoutingContext rc) {
    String client = rc.request().remoteAddress().hostAddress();
    JsonObject body = jsonBody(rc);
    String candidate = body == null ? null : body.getString("password");
    if (candidate == null || candidate.isEmpty()) {
      json(rc.response().setStatusCode(400), new JsonObject().put("error", "password required"));
      return;
    }
    gate.check(client, candidate).onComplete(ar -> {
      LoginGate.Verdict verdict = ar.succeeded() ? ar.result() : LoginGate.Verdict.WRONG_PASSWORD;
      switch (verdict) {
        case ACCEPTED -> {
          Session s = rc.session().regenerateId(); // no session fixation: a new id once logged in
          s.put(USER, "admin");
          json(rc.response(), new JsonObject().put("ok", true));
        }
        case BUSY -> json(rc.response().setStatusCode(429).putHeader("Retry-After", "1"),
            new JsonObject().put("error", "too many login attempts from your address are waiting; try again"));
        default -> json(rc.response().setStatusCode(401), new JsonObject().put("error", "wrong password"));
      }
    });
  }

  private void logout(RoutingContext rc) {
    rc.session().destroy();
    json(rc.response(), new JsonObject().put("ok", true));
  }

  private Future<JsonObject> snapshot() {
    return link.status()
        .map(status -> new JsonObject().put("status", status))
        .otherwise(e -> new JsonObject().put("status", new JsonObject().put("node", node)
            .put("error", "node not answering: " + e.getMessage())))
        .map(j -> {
          JsonObject status = j.getJsonObject("status").put("version", VERSION);
          JsonObject point = history.latest();
          return j.put("meters", meters.take()).put("point", point).put("health", MeterHistory.health(status, point));
        });
  }

  private void status(RoutingContext rc) {
    snapshot().onSuccess(j -> json(rc.response(), j));
  }

  /** Server-sent events, one snapshot a second; ends with the session's lifetime (the browser reconnects). */
  private void stream(RoutingContext rc) {
    HttpServerResponse res = rc.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
    long started = System.currentTimeMillis();
    long timer = vertx.setPeriodic(0, 1000, t -> {
      if (System.currentTimeMillis() - started > SESSION_MILLIS) {
        vertx.cancelTimer(t);
        res.end();
        return;
      }
      snapshot().onSuccess(j -> {
        // A browser that does not read (a stalled tab) loses snapshots rather than growing the queue.
        if (!res.ended() && !res.closed() && !res.writeQueueFull()) {
          res.write("data: " + j.encode() + "\n\n");
        }
      });
    });
    res.closeHandler(v -> vertx.cancelTimer(timer));
  }

  private void action(RoutingContext rc) {
    String name = rc.pathParam("name");
    if (!name.matches("[a-z][a-z-]{0,31}")) {
      json(rc.response().setStatusCode(404), new JsonObject().put("error", "no such action"));
      return;
    }
    JsonObject args = jsonBody(rc);
    link.action(name, args == null ? new JsonObject() : args).onComplete(ar -> {
          if (ar.succeeded()) {
            LOG.info(() -> node + ": dashboard action " + name + ": " + ar.result().getString("message"));
            json(rc.response(), ar.result());
          } else if (ar.cause() instanceof NodeLink.UnsupportedActionException) {
            json(rc.response().setStatusCode(501), new JsonObject().put("error", "\"" + name
                + "\" is not supported on " + node + " yet"));
          } else {
            json(rc.response().setStatusCode(500), new JsonObject().put("error", name + " failed: "
                + ar.cause().getMessage()));
          }
        });
  }

  /** The request's JSON object, or null when it has none or it is not JSON. */
  private static JsonObject jsonBody(RoutingContext rc) {
    try {
      return rc.body().asJsonObject();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void json(HttpServerResponse res, JsonObject body) {
    res.putHeader("Content-Type", "application/json").end(body.encode());
  }
}
