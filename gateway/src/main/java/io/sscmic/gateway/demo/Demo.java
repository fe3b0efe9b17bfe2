package io.sscmic.gateway.demo;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.cli.Runtimes;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeConfigParser;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.gateway.config.SeedSource;
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

  private Demo() {
  }

  public static int run(String intervalText, PrintStream out) {
    Duration interval = NodeConfigParser.duration(intervalText, "--interval", null);
    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      List<Node> nodes = start(vertx, interval, registry).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      out.println();
      out.println("SSCMIC demo mesh is up on 127.0.0.1: sidecars alpha and beta, key rotates every "
          + interval.toMillis() + " ms.");
      out.println("Try, in another terminal:");
      out.println("  curl -s --data-binary 'hello through the tunnel' http://127.0.0.1:" + TO_ECHO + "/");
      out.println("      you -> alpha :" + TO_ECHO + " -> [" + CipherSuite.AES_256_GCM + " frames] -> beta :"
          + BETA_TUNNEL + " -> echo service :" + ECHO_BACKEND);
      out.println("  curl -s http://127.0.0.1:" + TO_WEB + "/");
      out.println("      you -> beta :" + TO_WEB + " -> [encrypted] -> alpha :" + ALPHA_TUNNEL + " -> web service :"
          + WEB_BACKEND);
      out.println("  curl -s http://127.0.0.1:" + ALPHA_ADMIN + "/status       # alpha's epoch, routes, failures (beta: "
          + BETA_ADMIN + ")");
      out.println("  curl -s http://127.0.0.1:" + ALPHA_ADMIN + "/metrics | grep '^sscmic_'");
      out.println("Press Ctrl-C to stop.");
      out.println();
      vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> LOG.info(m.body().getString("node")
          + " rotated to epoch " + m.body().getLong("epoch") + " (tc " + m.body().getInteger("tc") + ")"));
      io.sscmic.gateway.cli.Shutdown.await(() -> Future.join(nodes.stream().map(Node::stop).toList())
          .eventually(vertx::close));
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("sscmic demo: cannot start: " + cause.getMessage()
          + " (ports " + TO_ECHO + "-" + TO_WEB + ", " + ALPHA_TUNNEL + "-" + BETA_TUNNEL + ", " + WEB_BACKEND
          + "-" + ECHO_BACKEND + ", " + ALPHA_ADMIN + "-" + BETA_ADMIN + " must be free)");
      vertx.close();
      return 1;
    }
  }

  static Future<List<Node>> start(Vertx vertx, Duration interval, PrometheusMeterRegistry registry) {
    return vertx.executeBlocking(() -> {
      byte[] seed = new byte[32];
      new SecureRandom().nextBytes(seed);
      return seed;
    }).compose(seed -> {
      // A start an hour ago: the chain has history, so a peer one epoch behind works from the first second.
      Instant genesis = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
      SeedSource mem = SeedSource.memory(seed);
      NodeConfig alpha = new NodeConfig("alpha", genesis, interval, mem, CipherSuite.AES_256_GCM,
          AeadProvider.defaultProvider(), loopback(ALPHA_TUNNEL), Map.of("web", loopback(WEB_BACKEND)),
          List.of(new OutboundRoute(loopback(TO_ECHO), "echo", loopback(BETA_TUNNEL))),
          NodeConfig.DEFAULT_CONNECT_TIMEOUT, NodeConfig.DEFAULT_HANDSHAKE_TIMEOUT, loopback(ALPHA_ADMIN));
      NodeConfig beta = new NodeConfig("beta", genesis, interval, mem, CipherSuite.AES_256_GCM,
          AeadProvider.defaultProvider(), loopback(BETA_TUNNEL), Map.of("echo", loopback(ECHO_BACKEND)),
          List.of(new OutboundRoute(loopback(TO_WEB), "web", loopback(ALPHA_TUNNEL))),
          NodeConfig.DEFAULT_CONNECT_TIMEOUT, NodeConfig.DEFAULT_HANDSHAKE_TIMEOUT, loopback(BETA_ADMIN));
      return webBackend(vertx)
          .compose(w -> echoBackend(vertx))
          .compose(e -> Node.start(vertx, alpha, registry))
          .compose(a -> Node.start(vertx, beta, registry).map(b -> List.of(a, b)));
    });
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
