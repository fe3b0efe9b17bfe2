package io.sscmic.gateway.demo;

import io.sscmic.authority.AuthorityFiles;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.ui.PasswordHash;
import io.sscmic.gateway.process.Runtimes;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.AdminSection;
import io.sscmic.gateway.config.KeysynSection;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeSection;
import io.sscmic.gateway.config.TunnelSection;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.config.NodeConfigParser;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.gateway.authority.AuthorityRole;
import io.sscmic.authority.MeshInit;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import java.nio.file.Files;
import java.nio.file.Path;
import io.sscmic.gateway.node.Node;
import io.sscmic.keysyn.KeySynVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A live mesh in one process on 127.0.0.1: sidecars "alpha" and "beta", a web service behind
 * alpha and an echo service behind beta, each reachable from the other side through the
 * encrypted tunnel. The seed is random and lives only in memory.
 */
public final class Demo {
  private static final Logger LOG = Logger.getLogger(Demo.class.getName());
  static final int ALPHA_TUNNEL = 7101;
  static final int BETA_TUNNEL = 7102;
  static final int WEB_BACKEND = 7201;
  static final int ECHO_BACKEND = 7202;
  static final int TO_ECHO = 7001;
  static final int TO_WEB = 7002;
  static final int ALPHA_ADMIN = 15000;
  static final int BETA_ADMIN = 15001;
  static final int AUTHORITY = 7443;
  static final int HTTP_LISTENER = 7080;
  static final int AUTHORITY_ADMIN = 15002;

  private Demo() {
  }

  public static int run(String intervalText, PrintStream out) {
    Duration interval = NodeConfigParser.duration(intervalText, "--interval", null);
    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      Mesh mesh = start(vertx, interval, registry).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      out.println();
      out.println("SSCMIC demo mesh is up on 127.0.0.1: sidecars alpha and beta, key rotates every "
          + interval.toMillis() + " ms.");
      out.println("Both enrolled with the authority on https://127.0.0.1:" + AUTHORITY + " and recovered their keys from it"
          + " (mesh files in " + mesh.dir() + ", deleted on exit).");
      out.println("Try, in another terminal:");
      out.println("  curl -s --data-binary 'hello through the tunnel' http://127.0.0.1:" + TO_ECHO + "/");
      out.println("      you -> alpha :" + TO_ECHO + " -> [" + CipherSuite.AES_256_GCM + " frames] -> beta :"
          + BETA_TUNNEL + " -> echo service :" + ECHO_BACKEND);
      out.println("  curl -s http://127.0.0.1:" + TO_WEB + "/");
      out.println("      you -> beta :" + TO_WEB + " -> [encrypted] -> alpha :" + ALPHA_TUNNEL + " -> web service :"
          + WEB_BACKEND);
      out.println("  curl -s --data-binary 'hello over HTTP mode' http://127.0.0.1:" + HTTP_LISTENER + "/echo");
      out.println("  curl -s -x http://127.0.0.1:" + HTTP_LISTENER + " --data-binary 'as a forward proxy' http://echo/");
      out.println("      alpha's HTTP listener :" + HTTP_LISTENER + " -> pooled encrypted streams -> beta -> echo service");
      // /status needs the dashboard password (HTTP Basic); /metrics, /healthz and /readyz do not.
      String operator = "-u admin:" + mesh.dashboardPassword();
      out.println("  curl -s " + operator + " http://127.0.0.1:" + ALPHA_ADMIN + "/status   # alpha's epoch, routes,"
          + " failures (beta: " + BETA_ADMIN + ")");
      out.println("  curl -s http://127.0.0.1:" + ALPHA_ADMIN + "/metrics | grep '^sscmic_'");
      out.println("  curl -s " + operator + " http://127.0.0.1:" + AUTHORITY_ADMIN + "/status   # the authority:"
          + " enrollments, recoveries");
      out.println("Dashboards (log in with password " + mesh.dashboardPassword() + ", made for this run only):");
      out.println("  http://127.0.0.1:" + ALPHA_ADMIN + "/ui/  (alpha)   http://127.0.0.1:" + BETA_ADMIN
          + "/ui/  (beta)   http://127.0.0.1:" + AUTHORITY_ADMIN + "/ui/  (authority)");
      out.println("  java -jar gateway/target/sscmic.jar reseed --config " + mesh.dir().resolve(AuthorityFiles.FILE)
          + " --in 15s");
      out.println("      a new key chain: watch both nodes learn it and switch at the same epoch, traffic unaffected");
      out.println("Press Ctrl-C to stop.");
      out.println();
      vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> LOG.info(m.body().getString("node")
          + " rotated to epoch " + m.body().getLong("epoch") + " (tc " + m.body().getInteger("tc") + ")"));
      io.sscmic.gateway.process.Shutdown.await(() -> mesh.stop().eventually(vertx::close));
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("sscmic demo: cannot start: " + cause.getMessage()
          + " (ports " + TO_ECHO + "-" + TO_WEB + ", " + ALPHA_TUNNEL + "-" + BETA_TUNNEL + ", " + WEB_BACKEND
          + "-" + ECHO_BACKEND + ", " + HTTP_LISTENER + ", " + AUTHORITY + ", " + ALPHA_ADMIN + "-" + AUTHORITY_ADMIN + " must be free)");
      vertx.close();
      return 1;
    }
  }

  /** The running demo: its authority, its two nodes and the directory that holds the mesh's files. */
  record Mesh(AuthorityRole authority, List<Node> nodes, Path dir, String dashboardPassword) {
    Future<Void> stop() {
      return Future.join(nodes.stream().map(Node::stop).toList())
          .eventually(authority::stop)
          .eventually(() -> deleteQuietly(dir))
          .mapEmpty();
    }
  }

  /**
   * Runs {@code sscmic init} into a temporary directory, starts the authority from it, and starts
   * alpha and beta with no seed: each enrolls with a one-time token and recovers its key state
   * from the authority (method 2), exactly as a production node does.
   */
  static Future<Mesh> start(Vertx vertx, Duration interval, PrometheusMeterRegistry registry) {
    // One random dashboard password for the three admin ports, shown once in the banner.
    String[] password = new String[1];
    return vertx.executeBlocking(() -> {
      SecureRandom random = new SecureRandom();
      byte[] pw = new byte[12];
      random.nextBytes(pw);
      password[0] = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(pw);
      String hash = PasswordHash.hash(password[0].toCharArray(), random);
      Path dir = Files.createTempDirectory("sscmic-demo-");
      // A start an hour ago: the chain has history, so a peer one epoch behind works from the first second.
      Instant genesis = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
      MeshInit.create(dir, genesis, interval, loopback(AUTHORITY), List.of(), loopback(AUTHORITY_ADMIN),
          new SecureRandom());
      return new Object[] {dir, hash};
    }).compose(made -> AuthorityConfig.load(vertx, ((Path) made[0]).resolve(AuthorityFiles.FILE))
        .compose(cfg -> AuthorityRole.start(vertx, cfg.withAdminPassword((String) made[1]), registry))
        .compose(authority -> {
          AuthorityConfig cfg = authority.config();
          // Alpha also has an HTTP listener: a reverse proxy for /echo and a forward proxy for http://echo/.
          NodeConfig alpha = node(cfg, "alpha", ALPHA_TUNNEL, Map.of("web", loopback(WEB_BACKEND)),
              new OutboundRoute(loopback(TO_ECHO), "echo", loopback(BETA_TUNNEL)), ALPHA_ADMIN, authority)
              .withHttp(new HttpModeConfig(loopback(HTTP_LISTENER),
                  List.of(new HttpRoute(null, "/echo", "echo", null)),
                  Map.of("echo", List.of(loopback(BETA_TUNNEL))), HttpModeConfig.DEFAULT_TIMEOUT,
                  HttpModeConfig.DEFAULT_MAX_CONNECTIONS, false))
              .withAdmin(a -> a.withPasswordHash(cfg.adminPasswordHash()));
          NodeConfig beta = node(cfg, "beta", BETA_TUNNEL, Map.of("echo", loopback(ECHO_BACKEND)),
              new OutboundRoute(loopback(TO_WEB), "web", loopback(ALPHA_TUNNEL)), BETA_ADMIN, authority)
              .withAdmin(a -> a.withPasswordHash(cfg.adminPasswordHash()));
          return webBackend(vertx)
              .compose(w -> echoBackend(vertx))
              .compose(e -> Node.start(vertx, alpha, registry))
              .compose(a -> Node.start(vertx, beta, registry).map(b -> new Mesh(authority, List.of(a, b),
                  (Path) made[0], password[0])));
        }));
  }

  private static NodeConfig node(AuthorityConfig cfg, String id, int tunnel, Map<String, SocketAddress> services,
                                 OutboundRoute route, int admin, AuthorityRole authority) {
    String token = authority.tokens().issue(id, Duration.ofMinutes(10), Instant.now(), new SecureRandom());
    AuthorityRecovery.Settings settings = new AuthorityRecovery.Settings("127.0.0.1", authority.port(),
        cfg.file(AuthorityFiles.CA_CERT), cfg.dir().resolve(id), TokenSource.memory(token),
        AuthorityRecovery.Method.SEALED_STATE, Duration.ofSeconds(2));
    return new NodeConfig(new NodeSection(id), new KeysynSection(cfg.genesis(), cfg.interval(), null), settings,
        new TunnelSection(loopback(tunnel), CipherSuite.AES_256_GCM, AeadProvider.defaultProvider(),
            TunnelSection.DEFAULT_CONNECT_TIMEOUT, TunnelSection.DEFAULT_HANDSHAKE_TIMEOUT, TunnelLimits.DEFAULTS),
        AdminSection.plain(loopback(admin)), services, List.of(route), null);
  }

  private static Future<Void> deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      LOG.warning("could not delete " + dir + ": " + e.getMessage());
    }
    return Future.succeededFuture();
  }

  private static Future<HttpServer> webBackend(Vertx vertx) {
    return vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("content-type", "text/plain")
            .end("hello from the web service behind sidecar alpha, " + Instant.now() + "\n"))
        .listen(WEB_BACKEND, "127.0.0.1");
  }

  /** Echoes the request body back (an HTTP echo service, so curl is all a user needs). */
  private static Future<HttpServer> echoBackend(Vertx vertx) {
    return vertx.createHttpServer()
        .requestHandler(req -> req.body().onSuccess(body -> req.response()
            .putHeader("content-type", "application/octet-stream")
            .end(body.length() == 0 ? io.vertx.core.buffer.Buffer.buffer("echo service behind sidecar beta: "
                + "send a body, e.g. curl --data-binary @file\n") : body.appendString("\n"))))
        .listen(ECHO_BACKEND, "127.0.0.1");
  }

  private static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }
}
