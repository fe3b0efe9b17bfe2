package io.sscmic.admin;

import io.sscmic.keysyn.pki.NodeCertificates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.sscmic.admin.ui.PasswordHash;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.keysyn.pki.Pem;
import java.net.CookieManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin port over real HTTP, with a stand-in node answering on the event bus. */
class AdminServerVerticleTest {
  private Vertx vertx;
  private PrometheusMeterRegistry registry;
  private AdminServerVerticle admin;
  private HttpClient http;

  private static <T> T await(Future<T> f) throws Exception {
    // 60 s as in the other modules' tests: a loaded CI machine once took over 10 s for a /healthz.
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Every log record of the admin-ui classes while a test runs (what --log-json would ship). */
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  @BeforeEach
  void setUp(@TempDir Path state) throws Exception {
    Logger.getLogger("io.sscmic.admin").addHandler(capture);
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    admin = new AdminServerVerticle("n1", SocketAddress.inetSocketAddress(0, "127.0.0.1"), registry, null, null,
        state);
    await(vertx.deployVerticle(admin));
    http = vertx.createHttpClient();
  }

  @AfterEach
  void tearDown() throws Exception {
    Logger.getLogger("io.sscmic.admin").removeHandler(capture);
    await(vertx.close());
  }

  private String logText() {
    StringBuilder b = new StringBuilder();
    for (LogRecord r : logged) {
      b.append(new java.util.logging.SimpleFormatter().formatMessage(r)).append('\n');
    }
    return b.toString();
  }

  /** The generated password's file, as the operator finds it: named in the log. */
  private Path passwordFileFromTheLog() {
    Matcher m = Pattern.compile("the dashboard password for this run is in (\\S+)").matcher(logText());
    assertTrue(m.find(), "the log names the password file: " + logText());
    return Path.of(m.group(1));
  }

  private Reply getWithPassword(String path, String password) throws Exception {
    return await(http.request(HttpMethod.GET, admin.port(), "127.0.0.1", path)
        .compose(req -> req.putHeader("Authorization", "Basic " + Base64.getEncoder()
            .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8))).send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString()))));
  }

  /**
   * Without admin.password-hash the password is generated into a 0600 file in the state directory;
   * the log (shipped off the host by --log-json) names the file and never holds the password. The
   * file goes at stop.
   */
  @Test
  void theGeneratedPasswordIsInAnOwnerOnlyFileAndNotInTheLog(@TempDir Path other) throws Exception {
    Path file = passwordFileFromTheLog();
    assertEquals("admin-password", file.getFileName().toString());
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    String password = Files.readString(file).trim();
    assertEquals(20, password.length(), password);
    assertFalse(logText().contains(password), "the password is not in the log: " + logText());
    vertx.eventBus().localConsumer(AdminAddresses.status("n1"), m -> m.reply(new JsonObject().put("epoch", 7)));
    assertEquals(200, getWithPassword("/status", password).status(), "the file's password opens /status");

    // A wider umask does not widen the file: it is created 0600, and an old file is replaced, not reused.
    Files.writeString(other.resolve("admin-password"), "stale\n");
    Files.setPosixFilePermissions(other.resolve("admin-password"), PosixFilePermissions.fromString("rw-r--r--"));
    AdminServerVerticle second = new AdminServerVerticle("n9", SocketAddress.inetSocketAddress(0, "127.0.0.1"),
        registry, null, null, other);
    String id = await(vertx.deployVerticle(second));
    assertEquals(PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(other.resolve("admin-password")));
    assertFalse(Files.readString(other.resolve("admin-password")).contains("stale"));
    await(vertx.undeploy(id));
    assertFalse(Files.exists(other.resolve("admin-password")), "removed at stop: it was good for that run only");
  }

  /** A node without a state directory gets an owner-only temporary file, named in the log. */
  @Test
  void withoutAStateDirectoryTheGeneratedPasswordGoesToAnOwnerOnlyTemporaryFile() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("STATE_DIRECTORY") == null,
        "run under a systemd unit with StateDirectory=: the file goes there (PasswordFileTest)");
    logged.clear();
    AdminServerVerticle temp = new AdminServerVerticle("n8", SocketAddress.inetSocketAddress(0, "127.0.0.1"),
        registry);
    String id = await(vertx.deployVerticle(temp));
    Path file = passwordFileFromTheLog();
    assertTrue(file.getFileName().toString().startsWith("sscmic-n8-admin-password-"), file.toString());
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    assertFalse(logText().contains(Files.readString(file).trim()));
    await(vertx.undeploy(id));
    assertFalse(Files.exists(file));
  }

  private record Reply(int status, String type, String body) {
  }

  private Reply get(String path) throws Exception {
    return await(http.request(HttpMethod.GET, admin.port(), "127.0.0.1", path)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString()))));
  }

  /** curl --http2 and the JDK's default client ask to upgrade to h2c: they get HTTP/1.1 and the whole page. */
  @Test
  void anH2cUpgradeRequestGetsAPlainHttp11Answer() throws Exception {
    for (int i = 0; i < 50; i++) {
      Counter.builder("sscmic.test.filler").tag("i", Integer.toString(i)).register(registry).increment();
    }
    java.net.http.HttpClient jdk = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> r = jdk.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + admin.port() + "/metrics"))
        .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
    assertTrue(r.body().contains("sscmic_test_filler_total{i=\"49\"}"), "the whole scrape arrived");
  }

  @Test
  void healthzAnswersWhileTheProcessRuns() throws Exception {
    Reply r = get("/healthz");
    assertEquals(200, r.status());
    assertEquals("ok\n", r.body());
  }

  @Test
  void readyzIs503WhenTheNodeDoesNotAnswer() throws Exception {
    Reply r = get("/readyz");
    assertEquals(503, r.status());
    JsonObject body = new JsonObject(r.body());
    assertEquals(false, body.getBoolean("ready"));
    assertTrue(body.getString("reason").startsWith("node not answering"), body.encode());
  }

  @Test
  void readyzFollowsTheNodesAnswer() throws Exception {
    boolean[] ready = {false};
    vertx.eventBus().localConsumer(AdminAddresses.ready("n1"), m -> m.reply(new JsonObject().put("ready", ready[0])
        .put("checks", new JsonObject().put("keyState", ready[0]))));
    assertEquals(503, get("/readyz").status());
    ready[0] = true;
    Reply r = get("/readyz");
    assertEquals(200, r.status());
    assertEquals("application/json", r.type());
    assertEquals(true, new JsonObject(r.body()).getJsonObject("checks").getBoolean("keyState"));
  }

  @Test
  void statusPassesTheNodesJsonThroughToTheOperator() throws Exception {
    String password = Files.readString(passwordFileFromTheLog()).trim();
    assertEquals(503, getWithPassword("/status", password).status());
    vertx.eventBus().localConsumer(AdminAddresses.status("n1"), m -> m.reply(new JsonObject().put("node", "n1")
        .put("epoch", 42)));
    Reply r = getWithPassword("/status", password);
    assertEquals(200, r.status());
    assertEquals(42, new JsonObject(r.body()).getInteger("epoch"));
    Reply anonymous = get("/status");
    assertEquals(401, anonymous.status(), "no password, no status");
    assertFalse(anonymous.body().contains("42"), anonymous.body());
  }

  /** Scrapers and probes need no password: /metrics, /healthz and /readyz stay open. */
  @Test
  void metricsHealthAndReadinessNeedNoPassword() throws Exception {
    assertEquals(200, get("/metrics").status());
    assertEquals(200, get("/healthz").status());
    assertEquals(503, get("/readyz").status(), "answers (not ready: no node here), without a challenge");
  }

  @Test
  void metricsServesThePrometheusTextOfTheRegistry() throws Exception {
    Counter.builder("sscmic.test.events").description("test").register(registry).increment(3);
    Reply r = get("/metrics");
    assertEquals(200, r.status());
    assertTrue(r.type().startsWith("text/plain"), r.type());
    assertTrue(r.body().contains("sscmic_test_events_total 3.0"), r.body());
  }

  @Test
  void otherPathsAndMethodsAreRefusedWithAHint() throws Exception {
    Reply r = get("/keys");
    assertEquals(404, r.status());
    assertTrue(r.body().contains("/metrics, /healthz, /readyz, /status and the dashboard /ui/"), r.body());
    int status = await(http.request(HttpMethod.POST, admin.port(), "127.0.0.1", "/status")
        .compose(req -> req.send(Buffer.buffer("x"))).map(resp -> resp.statusCode()));
    assertTrue(status == 404 || status == 405, "POST refused, got " + status);
  }

  /**
   * admin.tls: a real HTTPS client that trusts only the test CA (Bouncy Castle, MeshCa) scrapes
   * /metrics and logs in; the session cookie then carries Secure. Without TLS it does not.
   */
  @Test
  void withTlsMetricsAndLoginWorkOverHttpsAndTheSessionCookieIsSecure(@TempDir Path dir) throws Exception {
    SecureRandom random = new SecureRandom();
    MeshCa ca = MeshCa.create("admin-tls-test", Duration.ofDays(1), random);
    KeyPair pair = NodeCertificates.newKeyPair(random);
    X509Certificate cert = ca.issueAuthority(pair.getPublic(), List.of("127.0.0.1", "localhost"), Duration.ofDays(1));
    Path certFile = dir.resolve("admin.crt");
    Path keyFile = dir.resolve("admin.key");
    Pem.write(certFile, Pem.encode(cert), false);
    Pem.write(keyFile, Pem.encode(pair.getPrivate()), true);
    String password = "admin tls test password";
    AdminServerVerticle tls = new AdminServerVerticle("n2", SocketAddress.inetSocketAddress(0, "127.0.0.1"), registry,
        PasswordHash.hash(password.toCharArray(), random), new AdminTls(certFile.toString(), keyFile.toString()));
    await(vertx.deployVerticle(tls));
    Counter.builder("sscmic.test.tls").register(registry).increment();

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("mesh-ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), random);
    java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(ssl)
        .version(java.net.http.HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager()).build();
    String base = "https://127.0.0.1:" + tls.port();

    java.net.http.HttpResponse<String> metrics = https.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(base + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("sscmic_test_tls_total 1.0"), metrics.body());

    String setCookie = logIn(https, base, password);
    assertTrue(setCookie.contains("sscmic-admin-n2="), setCookie);
    assertTrue(setCookie.contains("Secure"), "a TLS admin port sets Secure cookies: " + setCookie);
    assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("httponly") && setCookie.contains("SameSite=Strict"),
        setCookie);

    // A client that does not trust the test CA is refused at the handshake.
    java.net.http.HttpClient untrusting = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> untrusting.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(base + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void withoutTlsTheSessionCookieIsNotSecure() throws Exception {
    String password = "admin plain test password";
    AdminServerVerticle plain = new AdminServerVerticle("n3", SocketAddress.inetSocketAddress(0, "127.0.0.1"),
        registry, PasswordHash.hash(password.toCharArray(), new SecureRandom()));
    await(vertx.deployVerticle(plain));
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager()).build();
    String setCookie = logIn(client, "http://127.0.0.1:" + plain.port(), password);
    assertTrue(setCookie.contains("sscmic-admin-n3="), setCookie);
    assertFalse(setCookie.contains("Secure"), setCookie);
  }

  /** Fetches the CSRF token, logs in, and returns the session's Set-Cookie header of the login answer. */
  private static String logIn(java.net.http.HttpClient client, String base, String password) throws Exception {
    java.net.http.HttpResponse<String> csrf = client.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(base + "/ui/csrf")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, csrf.statusCode());
    String token = new JsonObject(csrf.body()).getString("token");
    java.net.http.HttpResponse<String> login = client.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(base + "/ui/login"))
        .header("Content-Type", "application/json").header("X-XSRF-TOKEN", token)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(new JsonObject().put("password", password).encode()))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, login.statusCode(), login.body());
    return login.headers().allValues("set-cookie").stream().filter(c -> c.startsWith("sscmic-admin-"))
        .findFirst().orElse("(no session cookie)");
  }
}
