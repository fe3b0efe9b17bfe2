package io.sscmic.gateway.demo;

import io.sscmic.authority.store.AuthorityFiles;
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
import io.sscmic.gateway.config.TunnelV2Section;
import io.sscmic.gateway.config.TunnelVersion;
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

  private Demo() {
  }

  public static int run(String intervalText, String portBaseText, PrintStream out) {
    Duration interval = NodeConfigParser.duration(intervalText, "--interval", null);
    DemoPorts ports;
    try {
      ports = new DemoPorts(Integer.parseInt(portBaseText));
    } catch (NumberFormatException e) {
      System.err.println("sscmic demo: --port-base must be a number, got '" + portBaseText + "'");
      return 2;
    } catch (IllegalArgumentException e) {
      System.err.println("sscmic demo: " + e.getMessage());
      return 2;
    }
    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      Mesh mesh = start(vertx, interval, ports, registry).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      out.println();
      out.println("SSCMIC demo mesh is up on 127.0.0.1: sidecars alpha and beta, key rotates every "
          + interval.toMillis() + " ms.");
      out.println("Both enrolled with the authority on https://127.0.0.1:" + ports.authority() + " and recovered their keys from it"
          + " (mesh files in " + mesh.dir() + ", deleted on exit).");
      out.println("Try, in another terminal:");
      out.println("  curl -s --data-binary 'hello through the tunnel' http://127.0.0.1:" + ports.toEcho() + "/");
      out.println("      you -> alpha :" + ports.toEcho() + " -> [" + CipherSuite.AES_256_GCM + " frames] -> beta :"
          + ports.betaTunnel() + " -> echo service :" + ports.echoBackend());
      out.println("  curl -s http://127.0.0.1:" + ports.toWeb() + "/");
      out.println("      you -> beta :" + ports.toWeb() + " -> [encrypted] -> alpha :" + ports.alphaTunnel() + " -> web service :"
          + ports.webBackend());
      out.println("  curl -s --data-binary 'hello over HTTP mode' http://127.0.0.1:" + ports.httpListener() + "/echo");
      out.println("  curl -s -x http://127.0.0.1:" + ports.httpListener() + " --data-binary 'as a forward proxy' http://echo/");
      out.println("      alpha's HTTP listener :" + ports.httpListener() + " -> pooled encrypted streams -> beta -> echo service");
      // /status needs the dashboard password (HTTP Basic); /metrics, /healthz and /readyz do not.
      String operator = "-u admin:" + mesh.dashboardPassword();
      out.println("  curl -s " + operator + " http://127.0.0.1:" + ports.alphaAdmin() + "/status   # alpha's epoch, routes,"
          + " failures (beta: " + ports.betaAdmin() + ")");
      out.println("  curl -s http://127.0.0.1:" + ports.alphaAdmin() + "/metrics | grep '^sscmic_'");
      out.println("  curl -s " + operator + " http://127.0.0.1:" + ports.authorityAdmin() + "/status   # the authority:"
          + " enrollments, recoveries");
      out.println("Dashboards (log in with password " + mesh.dashboardPassword() + ", made for this run only):");
      out.println("  http://127.0.0.1:" + ports.alphaAdmin() + "/ui/  (alpha)   http://127.0.0.1:" + ports.betaAdmin()
          + "/ui/  (beta)   http://127.0.0.1:" + ports.authorityAdmin() + "/ui/  (authority)");
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
          + " (ports " + ports.describe() + " must be free; --port-base moves them all)");
      vertx.close();
      return 1;
    }
  }

  /**
   * The running demo: its authority, its two nodes, the directory that holds the mesh's files, and
   * the two services behind the sidecars (web behind alpha, echo behind beta: a test stops one to
   * see what an operator sees when a service behind a sidecar goes away).
   */
  record Mesh(AuthorityRole authority, List<Node> nodes, Path dir, String dashboardPassword, DemoPorts ports,
              HttpServer webService, HttpServer echoService) {
    Future<Void> stop() {
      return Future.join(nodes.stream().map(Node::stop).toList())
          .eventually(authority::stop)
          .eventually(() -> Future.join(webService.close(), echoService.close()))
          .eventually(() -> deleteQuietly(dir))
          .mapEmpty();
    }
  }

  /**
   * Runs {@code sscmic init} into a temporary directory, starts the authority from it, and starts
   * alpha and beta with no seed: each enrolls with a one-time token and recovers its key state
   * from the authority (method 2), exactly as a production node does.
   */
  static Future<Mesh> start(Vertx vertx, Duration interval, DemoPorts ports, PrometheusMeterRegistry registry) {
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
      MeshInit.create(dir, genesis, interval, loopback(ports.authority()), List.of(), loopback(ports.authorityAdmin()),
          new SecureRandom());
      return new MeshFiles(dir, hash);
    }).compose(made -> AuthorityConfig.load(vertx, made.dir().resolve(AuthorityFiles.FILE))
        .compose(cfg -> AuthorityRole.start(vertx, cfg.withAdminPassword(made.passwordHash()), registry))
        .compose(authority -> {
          AuthorityConfig cfg = authority.config();
          // Alpha also has an HTTP listener: a reverse proxy for /echo and a forward proxy for http://echo/.
          NodeConfig alpha = node(cfg, "alpha", ports.alphaTunnel(), Map.of("web", loopback(ports.webBackend())),
              new OutboundRoute(loopback(ports.toEcho()), "echo", loopback(ports.betaTunnel()), "beta"), ports.alphaAdmin(), authority)
              .withHttp(new HttpModeConfig(loopback(ports.httpListener()),
                  List.of(new HttpRoute(null, "/echo", "echo", null)),
                  Map.of("echo", List.of(loopback(ports.betaTunnel()))), HttpModeConfig.DEFAULT_TIMEOUT,
                  HttpModeConfig.DEFAULT_MAX_CONNECTIONS, false))
              .withAdmin(a -> a.withPasswordHash(cfg.adminPasswordHash()));
          NodeConfig beta = node(cfg, "beta", ports.betaTunnel(), Map.of("echo", loopback(ports.echoBackend())),
              new OutboundRoute(loopback(ports.toWeb()), "web", loopback(ports.alphaTunnel()), "alpha"), ports.betaAdmin(), authority)
              .withAdmin(a -> a.withPasswordHash(cfg.adminPasswordHash()));
          // One registry per role: each admin port serves its own node's series (with one shared
          // registry every port served all three, and a Prometheus scraping the demo counted
          // everything three times). The process's JVM and Vert.x meters stay with the authority's.
          return webBackend(vertx, ports)
              .compose(w -> echoBackend(vertx, ports)
              .compose(e -> Node.start(vertx, alpha, Runtimes.registry())
              .compose(a -> Node.start(vertx, beta, Runtimes.registry()).map(b -> new Mesh(authority,
                  List.of(a, b), made.dir(), password[0], ports, w, e)))));
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
        AdminSection.plain(loopback(admin)), services, List.of(route), null, null, null,
        // Tunnel v2: the TCP routes are streams over one pooled, mutually authenticated connection
        // per peer (each node's certificate is the one it enrolled for).
        TunnelV2Section.defaults().withVersion(TunnelVersion.V2));
  }

  private static Future<Void> deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      LOG.warning("could not delete " + dir + ": " + e.getMessage());
    }
    return Future.succeededFuture();
  }

  private static Future<HttpServer> webBackend(Vertx vertx, DemoPorts ports) {
    return vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("content-type", "text/plain")
            .end("hello from the web service behind sidecar alpha, " + Instant.now() + "\n"))
        .listen(ports.webBackend(), "127.0.0.1");
  }

  /** Echoes the request body back (an HTTP echo service, so curl is all a user needs). */
  private static Future<HttpServer> echoBackend(Vertx vertx, DemoPorts ports) {
    return vertx.createHttpServer()
        .requestHandler(req -> req.body().onSuccess(body -> req.response()
            .putHeader("content-type", "application/octet-stream")
            .end(body.length() == 0 ? io.vertx.core.buffer.Buffer.buffer("echo service behind sidecar beta: "
                + "send a body, e.g. curl --data-binary @file\n") : body.appendString("\n"))))
        .listen(ports.echoBackend(), "127.0.0.1");
  }

  /** What {@code sscmic init} made for the demo: its directory and the dashboard password's hash. */
  private record MeshFiles(Path dir, String passwordHash) {
  }

  private static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }
}
