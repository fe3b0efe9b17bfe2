package io.sscmic.admin.ui;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
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
import java.util.Set;
import java.util.logging.Logger;

/**
 * The browser dashboard under {@code /ui/}: a login page, the overview page, a JSON status
 * endpoint, a once-a-second server-sent event stream for the live charts, and actions. Everything
 * but the login page and its assets needs a logged-in session; every state change needs the CSRF
 * token. It reaches the node only through event-bus addresses ({@link AdminAddresses}) and the
 * meter registry.
 */
public final class Dashboard {
  private static final Logger LOG = Logger.getLogger(Dashboard.class.getName());
  private static final DeliveryOptions ASK = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5000);
  private static final String USER = "sscmic.admin.user";
  /** Assets a browser may fetch before logging in. */
  private static final Set<String> PUBLIC = Set.of("/login.html", "/login.js", "/app.css");
  /** The uPlot webjar's files, served from the jar (the CSP allows no other origin). */
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist";
  /** The build's version from the jar manifest ("dev" when run from classes). */
  private static final String VERSION = java.util.Objects.requireNonNullElse(
      Dashboard.class.getPackage().getImplementationVersion(), "dev");
  static final long SESSION_MILLIS = 30 * 60_000L;
  static final int MAX_LOGIN_FAILURES = 5;
  static final long LOGIN_WINDOW_MILLIS = 60_000L;

  private final Vertx vertx;
  private final String node;
  private final PasswordHash password;
  private final String csrfSecret;
  private final MeterSnapshot meters;
  private final DashboardMeters counts;
  private final LoginThrottle throttle = new LoginThrottle(MAX_LOGIN_FAILURES, LOGIN_WINDOW_MILLIS);
  private final SessionStore sessions;

  public Dashboard(Vertx vertx, String node, DashboardSecrets secrets, MeterRegistry registry) {
    this.vertx = vertx;
    this.node = node;
    this.password = secrets.password();
    this.csrfSecret = secrets.csrfSecret();
    this.meters = new MeterSnapshot(registry, node);
    this.counts = new DashboardMeters(registry, node);
    this.sessions = LocalSessionStore.create(vertx, "sscmic.admin.sessions." + node);
  }

  /** Ends the sessions (their store's cleanup timer stops): every operator logs in again. */
  public void close() {
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
    r.route().handler(this::gate);
    r.route("/vendor/uplot/*").handler(StaticHandler.create(UPLOT));
    r.post("/logout").handler(this::logout);
    r.get("/api/status").handler(this::status);
    r.get("/api/stream").handler(this::stream);
    r.post("/api/actions/:name").handler(this::action);
    r.route().handler(StaticHandler.create("io/sscmic/admin/webroot").setIndexPage("index.html"));
    return r;
  }

  /** Lets the login page and its assets through; everything else needs a logged-in session. */
  private void gate(RoutingContext rc) {
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
    long now = System.currentTimeMillis();
    long wait = throttle.retryAfter(client, now);
    if (wait > 0) {
      counts.throttled.increment();
      json(rc.response().setStatusCode(429).putHeader("Retry-After", String.valueOf((wait + 999) / 1000)),
          new JsonObject().put("error", "too many failed logins; try again in " + ((wait + 999) / 1000) + " s"));
      return;
    }
    JsonObject body = jsonBody(rc);
    String candidate = body == null ? null : body.getString("password");
    if (candidate == null || candidate.isEmpty()) {
      json(rc.response().setStatusCode(400), new JsonObject().put("error", "password required"));
      return;
    }
    // Counted before the check, so parallel guesses cannot outrun the limit; cleared on success.
    throttle.failed(client, now);
    vertx.executeBlocking(() -> password.matches(candidate.toCharArray())).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        throttle.succeeded(client);
        counts.logins.increment();
        Session s = rc.session().regenerateId(); // no session fixation: a new id once logged in
        s.put(USER, "admin");
        json(rc.response(), new JsonObject().put("ok", true));
      } else {
        counts.wrongPassword.increment();
        LOG.warning(() -> node + ": dashboard login refused for " + client + " (wrong password)");
        json(rc.response().setStatusCode(401), new JsonObject().put("error", "wrong password"));
      }
    });
  }

  private void logout(RoutingContext rc) {
    rc.session().destroy();
    json(rc.response(), new JsonObject().put("ok", true));
  }

  private Future<JsonObject> snapshot() {
    return vertx.eventBus().<JsonObject>request(AdminAddresses.status(node), null, ASK)
        .map(m -> new JsonObject().put("status", m.body()))
        .otherwise(e -> new JsonObject().put("status", new JsonObject().put("node", node)
            .put("error", "node not answering: " + e.getMessage())))
        .map(j -> {
          j.getJsonObject("status").put("version", VERSION);
          return j.put("meters", meters.take());
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
    vertx.eventBus().<JsonObject>request(AdminAddresses.action(node, name), args == null ? new JsonObject() : args,
        ASK).onComplete(ar -> {
          if (ar.succeeded()) {
            LOG.info(() -> node + ": dashboard action " + name + ": " + ar.result().body().getString("message"));
            json(rc.response(), ar.result().body());
          } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
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
