package io.sscmic.gateway.authority;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.sscmic.gateway.node.Deployments;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.Seed;
import io.sscmic.keysyn.authority.AuthorityVerticle;
import io.sscmic.keysyn.authority.EnrollmentTokens;
import io.sscmic.keysyn.ca.MeshCa;
import io.sscmic.keysyn.ca.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * {@code sscmic authority}: the management server of a mesh. It runs the same key schedule as
 * every node (from the seed only it holds), answers enrollment and recovery over HTTPS, and has
 * an admin port of its own for metrics and health.
 */
public final class AuthorityRole {
  public static final String ID = MeshCa.AUTHORITY_ID;
  private final AuthorityConfig config;
  private final Deployments deployments;
  private final AuthorityVerticle server;
  private final AdminServerVerticle admin;
  private final EnrollmentTokens tokens;
  private final KeySchedule schedule;

  private AuthorityRole(AuthorityConfig config, Deployments deployments, AuthorityVerticle server,
                        AdminServerVerticle admin, EnrollmentTokens tokens, KeySchedule schedule) {
    this.config = config;
    this.deployments = deployments;
    this.server = server;
    this.admin = admin;
    this.tokens = tokens;
    this.schedule = schedule;
  }

  public static Future<AuthorityRole> start(Vertx vertx, AuthorityConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, System::currentTimeMillis);
  }

  public static Future<AuthorityRole> start(Vertx vertx, AuthorityConfig config, PrometheusMeterRegistry registry,
                                            LongSupplier now) {
    EpochClock clock = new EpochClock(config.genesis(), config.interval(), now);
    KeySchedule schedule = new KeySchedule();
    Deployments deployments = new Deployments(vertx);
    return vertx.executeBlocking(() -> {
      SecureRandom random = new SecureRandom();
      random.nextBytes(new byte[16]);
      byte[] seed = Seed.readFile(config.file(AuthorityConfig.SEED));
      MeshCa ca = new MeshCa(Pem.certificate(Files.readString(config.file(AuthorityConfig.CA_CERT))),
          Pem.privateKey(Files.readString(config.file(AuthorityConfig.CA_KEY))), random);
      X509Certificate cert = Pem.certificate(Files.readString(config.file(AuthorityConfig.CERT)));
      PrivateKey key = Pem.privateKey(Files.readString(config.file(AuthorityConfig.KEY)));
      EnrollmentTokens tokens = new EnrollmentTokens(MeshInit.tokenKey(config), config.file(AuthorityConfig.USED_TOKENS));
      return new Object[] {ChainAnchor.genesis(seed), ca, cert, key, tokens};
    }).recover(e -> Future.failedFuture(new IllegalStateException("cannot read the mesh files in " + config.dir()
        + " (made by sscmic init): " + e.getMessage(), e))).compose(files -> {
          MeshCa ca = (MeshCa) files[1];
          X509Certificate cert = (X509Certificate) files[2];
          EnrollmentTokens tokens = (EnrollmentTokens) files[4];
          AuthorityVerticle server = new AuthorityVerticle(new AuthorityVerticle.Options(config.listen(),
              config.certificateValidity(), config.method1()), ca, cert, (PrivateKey) files[3], tokens, schedule,
              clock, registry);
          AdminServerVerticle admin = config.adminListen() == null ? null
              : new AdminServerVerticle(ID, config.adminListen(), registry);
          Gauge.builder("sscmic.authority.certificate.expiry", cert, c -> c.getNotAfter().getTime() / 1000.0)
              .description("When this node's certificate expires (Unix time)").baseUnit("seconds")
              .tag("node", ID).register(registry);
          Gauge.builder("sscmic.keysyn.epoch", schedule, s -> s.isReady() ? s.current().epoch() : Double.NaN)
              .description("The epoch N of the key in force (Tc = N mod 65536)").tag("node", ID).register(registry);
          deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.ready(ID), m -> m.reply(new JsonObject()
              .put("ready", schedule.isReady()).put("checks", new JsonObject().put("keyState", schedule.isReady())))));
          deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.status(ID), m -> m.reply(status(schedule,
              server, clock))));
          Future<?> adminUp = admin == null ? Future.succeededFuture() : deployments.deploy(admin);
          return adminUp
              .compose(x -> deployments.deploy(new KeySynVerticle(ID, clock, schedule, (ChainAnchor) files[0])))
              .compose(x -> deployments.deploy(server))
              .map(x -> new AuthorityRole(config, deployments, server, admin, tokens, schedule));
        })
        .recover(e -> deployments.stop().transform(x -> Future.failedFuture(e)));
  }

  private static JsonObject status(KeySchedule schedule, AuthorityVerticle server, EpochClock clock) {
    KeyState s = schedule.current();
    JsonObject recoveries = new JsonObject();
    server.lastRecovery().forEach((node, at) -> recoveries.put(node, at.toString()));
    JsonObject requests = new JsonObject();
    server.outcomes().forEach(requests::put);
    return new JsonObject().put("node", ID).put("role", "authority").put("ready", s != null)
        .put("epoch", s == null ? null : s.epoch()).put("tc", s == null ? null : s.tc())
        .put("intervalSeconds", clock.interval().toMillis() / 1000.0)
        .put("requests", requests).put("lastRecovery", recoveries);
  }

  /** A one-time enrollment token for {@code node}, valid for {@code ttl}. */
  public static String issueToken(AuthorityConfig config, String node, Duration ttl) throws java.io.IOException {
    return new EnrollmentTokens(MeshInit.tokenKey(config)).issue(node, ttl, Instant.now(), new SecureRandom());
  }

  public Future<Void> stop() {
    return deployments.stop();
  }

  public int port() {
    return server.port();
  }

  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  public AuthorityVerticle server() {
    return server;
  }

  public KeySchedule schedule() {
    return schedule;
  }

  public AuthorityConfig config() {
    return config;
  }

  public EnrollmentTokens tokens() {
    return tokens;
  }
}
