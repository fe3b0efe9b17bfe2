package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's security over real HTTP on loopback, as a browser would meet it: login, the
 * session cookie's flags, CSRF on actions, the login throttle (delays, never a lock-out), /status's
 * HTTP Basic and the page's CSP. A stand-in node
 * answers on the event bus (the dashboard's only link to a node).
 */
class DashboardTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final String NODE = "n1";
  private static final String HASH = PasswordHash.hash(PASSWORD.toCharArray(), new SecureRandom());

  private Vertx vertx;
  private PrometheusMeterRegistry registry;
  private AdminServerVerticle admin;
  private final AtomicInteger drains = new AtomicInteger();
  private CookieManager cookies;
  private HttpClient browser;
  /** Vert.x clients bound to two loopback addresses: the operator's and someone else's. */
  private io.vertx.core.http.HttpClient operator;
  private io.vertx.core.http.HttpClient attacker;

  private static <T> T await(Future<T> f) throws Exception {
    return await(f, 30);
  }

  private static <T> T await(Future<T> f, int seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx.eventBus().<JsonObject>localConsumer(AdminAddresses.status(NODE), m -> m.reply(new JsonObject()
        .put("node", NODE).put("role", "node").put("epoch", 42L).put("tc", 42).put("secondsToNextRotation", 3.0)));
    vertx.eventBus().<JsonObject>localConsumer(AdminAddresses.action(NODE, "drain"), m -> {
      drains.incrementAndGet();
      m.reply(new JsonObject().put("ok", true).put("message", "draining"));
    });
    admin = new AdminServerVerticle(NODE, SocketAddress.inetSocketAddress(0, "127.0.0.1"), registry, HASH);
    await(vertx.deployVerticle(admin));
    operator = vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.1"));
    attacker = vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.2"),
        new PoolOptions().setHttp1MaxSize(64));
    cookies = new CookieManager();
    browser = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + admin.port() + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return browser.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private String csrfToken() throws Exception {
    HttpResponse<String> r = get("/ui/csrf");
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("token");
  }

  /** A POST as the page sends it; {@code token} null leaves the CSRF header out. */
  private HttpResponse<String> post(String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("X-XSRF-TOKEN", token);
    }
    return browser.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> login(String password) throws Exception {
    return post("/ui/login", csrfToken(), new JsonObject().put("password", password));
  }

  private double loginFailures(String reason) {
    var c = registry.find(DashboardMeters.LOGIN_FAILURES).tag("node", NODE).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private HttpCookie sessionCookie() {
    return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("sscmic-admin-" + NODE))
        .findFirst().orElse(null);
  }

  @Test
  void withoutLoginThePageRedirectsToTheLoginPageAndTheApiAnswers401() throws Exception {
    HttpResponse<String> page = get("/ui/");
    assertEquals(302, page.statusCode());
    assertEquals("/ui/login.html", page.headers().firstValue("location").orElse(""));
    assertEquals(401, get("/ui/api/status").statusCode());
    assertEquals(401, get("/ui/api/stream").statusCode());
    assertEquals(401, get("/ui/api/history").statusCode(), "the charts' history too");
    assertEquals(302, get("/ui/app.js").statusCode(), "the dashboard's script too");
    for (String entry : new String[] {"/", "/ui"}) {
      HttpResponse<String> r = get(entry);
      assertEquals(302, r.statusCode(), entry);
      assertEquals("/ui/", r.headers().firstValue("location").orElse(""), entry);
    }
    assertEquals(200, get("/ui/login.html").statusCode());
  }

  @Test
  void aWrongPasswordIsRefusedAndCounted() throws Exception {
    HttpResponse<String> r = login("not the password");
    assertEquals(401, r.statusCode());
    assertEquals("wrong password", new JsonObject(r.body()).getString("error"), "what the login page shows");
    assertEquals(1.0, loginFailures("wrong_password"));
    assertEquals(401, get("/ui/api/status").statusCode(), "still not logged in");
  }

  @Test
  void aLoginThatIsNotJsonIsABadRequestNotAServerError() throws Exception {
    HttpResponse<String> r = browser.send(HttpRequest.newBuilder(uri("/ui/login"))
        .header("Content-Type", "application/json").header("X-XSRF-TOKEN", csrfToken())
        .POST(HttpRequest.BodyPublishers.ofString("password=guess")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode());
    assertEquals("password required", new JsonObject(r.body()).getString("error"));
  }

  @Test
  void theRightPasswordOpensASessionWithAStrictHttpOnlyCookieAndANewId() throws Exception {
    csrfToken();
    HttpCookie before = sessionCookie();
    assertNotNull(before, "a session exists before login (it holds the CSRF token)");
    HttpResponse<String> r = login(PASSWORD);
    assertEquals(200, r.statusCode(), r.body());
    String setCookie = r.headers().allValues("set-cookie").stream()
        .filter(h -> h.startsWith("sscmic-admin-" + NODE + "=")).findFirst().orElseThrow();
    assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("; httponly"), setCookie);
    assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
    assertFalse(setCookie.contains("Secure"), "plain http: a Secure cookie would never be sent back: " + setCookie);
    assertNotEquals(before.getValue(), sessionCookie().getValue(), "login regenerates the session id (no fixation)");
    HttpResponse<String> status = get("/ui/api/status");
    assertEquals(200, status.statusCode());
    JsonObject body = new JsonObject(status.body());
    assertEquals(42L, body.getJsonObject("status").getLong("epoch"));
    assertTrue(body.getJsonObject("meters").containsKey("bytes"));
    assertEquals("ok", body.getJsonObject("health").getString("state"), body.encode());
    HttpResponse<String> history = get("/ui/api/history");
    assertEquals(200, history.statusCode());
    assertFalse(new JsonObject(history.body()).getJsonArray("points").isEmpty(), "the ring holds a point from start");
    assertEquals(200, get("/ui/").statusCode());
  }

  @Test
  void anActionWithoutTheCsrfTokenIsRefusedWith403AndDoesNothing() throws Exception {
    assertEquals(200, login(PASSWORD).statusCode());
    assertEquals(403, post("/ui/api/actions/drain", null, new JsonObject()).statusCode());
    assertEquals(403, post("/ui/api/actions/drain", "forged-token", new JsonObject()).statusCode());
    assertEquals(0, drains.get(), "the node never saw the forged requests");
    HttpResponse<String> ok = post("/ui/api/actions/drain", csrfToken(), new JsonObject());
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(1, drains.get());
  }

  @Test
  void aLoginWithoutTheCsrfTokenIsRefusedWith403() throws Exception {
    get("/ui/login.html");
    assertEquals(403, post("/ui/login", null, new JsonObject().put("password", PASSWORD)).statusCode());
    assertEquals(401, get("/ui/api/status").statusCode());
  }

  @Test
  void anActionTheNodeDoesNotOfferAnswers501() throws Exception {
    assertEquals(200, login(PASSWORD).statusCode());
    HttpResponse<String> r = post("/ui/api/actions/revoke", csrfToken(), new JsonObject());
    assertEquals(501, r.statusCode());
    assertTrue(new JsonObject(r.body()).getString("error").contains("not supported"), r.body());
  }

  /**
   * The lock-out of before: five wrong passwords from one address (any local user can send them to
   * 127.0.0.1) refused even the right one for a minute. Now they only delay the next check from
   * that address, by at most LoginGate.MAX_DELAY_MILLIS, and the right password gets in.
   */
  @Test
  void wrongPasswordsFromTheOperatorsAddressSlowTheRightOneButNeverRefuseIt() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertEquals(401, login("guess " + i).statusCode());
    }
    long start = System.nanoTime();
    HttpResponse<String> r = login(PASSWORD);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, r.statusCode(), "the right password still opens a session: " + r.body());
    assertTrue(millis >= 900, "six failures delay the next check from that address by about 1 s, took " + millis + " ms");
    assertEquals(200, get("/ui/api/status").statusCode());
    assertEquals(6.0, loginFailures("wrong_password"));
    assertEquals(0.0, loginFailures("rate_limited"), "nothing refused unchecked");
  }

  /** GET /status as curl sends it, from {@code client} (bound to its own loopback address). */
  private Future<Reply> status(io.vertx.core.http.HttpClient client, String password) {
    return client.request(HttpMethod.GET, admin.port(), "127.0.0.1", "/status").compose(req -> {
      if (password != null) {
        req.putHeader("Authorization", "Basic " + java.util.Base64.getEncoder()
            .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
      }
      return req.send();
    }).compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("WWW-Authenticate"),
        b.toString())));
  }

  private record Reply(int status, String challenge, String body) {
  }

  /** /status lists the mesh: without the dashboard password it answers 401 and nothing of the node. */
  @Test
  void statusWithoutTheDashboardPasswordAnswers401AndNoData() throws Exception {
    Reply anonymous = await(status(operator, null));
    assertEquals(401, anonymous.status());
    assertTrue(anonymous.challenge().startsWith("Basic realm=\"sscmic admin n1\""), anonymous.challenge());
    assertFalse(anonymous.body().contains("epoch"), anonymous.body());
    Reply wrong = await(status(operator, "not the password"));
    assertEquals(401, wrong.status());
    assertFalse(wrong.body().contains("epoch"), wrong.body());
    assertEquals(1.0, loginFailures("wrong_password"));
    Reply right = await(status(operator, PASSWORD));
    assertEquals(200, right.status(), right.body());
    assertEquals(42L, new JsonObject(right.body()).getLong("epoch"));
    // A script polling /status pays for the PBKDF2 check once per run, not per request.
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      assertEquals(200, await(status(operator, PASSWORD)).status());
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 5_000, "20 polls after the first took " + millis + " ms");
    assertEquals(401, await(status(operator, null)).status(),
        "the password is remembered, not a session: a request without it still gets nothing");
  }

  /**
   * A flood of wrong passwords from 127.0.0.2 (a local user, or any other host) while the operator
   * logs in from 127.0.0.1: the operator's check goes first (fewest recent failures) and succeeds
   * before the flood is through; the flood gets 401s and, beyond the attempts allowed to wait,
   * 429s, and never the status.
   */
  @Test
  void aFloodOfWrongPasswordsFromOneAddressDoesNotStopTheOperatorAtAnother() throws Exception {
    List<Future<Reply>> flood = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      flood.add(status(attacker, "guess " + i));
    }
    Future<Void> floodDone = Future.join(flood).mapEmpty();
    Reply op = await(status(operator, PASSWORD));
    assertEquals(200, op.status(), op.body());
    assertEquals(42L, new JsonObject(op.body()).getLong("epoch"));
    assertFalse(floodDone.isComplete(), "the operator got in while the flood was still waiting its turn");
    await(floodDone, 120);
    int wrong = 0;
    int busy = 0;
    for (Future<Reply> f : flood) {
      Reply r = f.result();
      assertFalse(r.body().contains("epoch"), r.body());
      if (r.status() == 401) {
        wrong++;
      } else if (r.status() == 429) {
        busy++;
      } else {
        throw new AssertionError("unexpected answer to a wrong password: " + r.status() + " " + r.body());
      }
    }
    assertEquals(30, wrong + busy);
    assertTrue(busy > 0 && wrong >= LoginGate.MAX_WAITING_PER_ADDRESS, wrong + " checked, " + busy + " refused unchecked");
    assertEquals(wrong, loginFailures("wrong_password"));
    assertEquals(busy, loginFailures("rate_limited"));
    // From the flooding address too, the right password gets in once the flood is over.
    assertEquals(200, await(status(attacker, PASSWORD)).status());
    assertEquals(200, login(PASSWORD).statusCode(), "and the dashboard login works");
  }

  @Test
  void pagesCarryAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> r = get("/ui/login.html");
    String csp = r.headers().firstValue("content-security-policy").orElseThrow();
    assertTrue(csp.contains("default-src 'none'"), csp);
    assertTrue(csp.contains("script-src 'self'"), csp);
    assertTrue(csp.contains("frame-ancestors 'none'"), csp);
    assertFalse(csp.contains("unsafe"), "no unsafe-inline or unsafe-eval: " + csp);
    assertEquals("DENY", r.headers().firstValue("x-frame-options").orElse(""));
    assertEquals("nosniff", r.headers().firstValue("x-content-type-options").orElse(""));
    assertFalse(r.body().contains("<script>"), "no inline script");
    assertFalse(r.body().contains("style="), "no inline style");
  }

  @Test
  void theStreamPushesASnapshotEverySecond() throws Exception {
    // Two HTTP-mode requests of 10 and 30 ms, as the node's HTTP listener records them.
    io.micrometer.core.instrument.Timer http = io.micrometer.core.instrument.Timer.builder("sscmic.http.request.duration")
        .tag("node", NODE).tag("service", "web").register(registry);
    http.record(java.time.Duration.ofMillis(10));
    http.record(java.time.Duration.ofMillis(30));
    assertEquals(200, login(PASSWORD).statusCode());
    HttpResponse<java.io.InputStream> r = browser.send(HttpRequest.newBuilder(uri("/ui/api/stream")).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      long start = System.nanoTime();
      List<JsonObject> events = new java.util.ArrayList<>();
      while (events.size() < 3) {
        String line = in.readLine();
        if (line != null && line.startsWith("data: ")) {
          events.add(new JsonObject(line.substring(6)));
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds > 1.5 && seconds < 6, "three events about a second apart, took " + seconds + "s");
      assertEquals(42L, events.get(2).getJsonObject("status").getLong("epoch"));
      assertTrue(events.get(2).getJsonObject("meters").getLong("at") > events.get(0).getJsonObject("meters").getLong("at"));
      assertEquals(2L, events.get(2).getJsonObject("meters").getLong("httpRequests"), "HTTP requests counted");
      assertEquals(40.0, events.get(2).getJsonObject("meters").getDouble("httpMillis"), 0.5);
    }
  }
}
