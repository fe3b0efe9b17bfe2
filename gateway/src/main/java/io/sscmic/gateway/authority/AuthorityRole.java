package io.sscmic.gateway.authority;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.admin.AdminAddresses;
import io.sscmic.admin.AdminServerVerticle;
import io.sscmic.gateway.node.Deployments;
import io.sscmic.authority.MeshInit;
import io.sscmic.authority.chain.AuthorityAnchor;
import io.sscmic.authority.chain.ChainFile;
import io.sscmic.authority.chain.Reseed;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.KeyChain;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.Seed;
import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.IssuedCertificates;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ha.EtcdReplicaState;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
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
  public static final String ID = NodeCertificates.AUTHORITY_ID;
  private static final Logger LOG = Logger.getLogger(AuthorityRole.class.getName());
  private final AuthorityConfig config;
  private Vertx vertx;
  private long watchTimer = -1;
  private long anchorTimer = -1;
  private long certificateTimer = -1;
  private long policyTimer = -1;
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
    KeySchedule schedule = new KeySchedule(clock);
    Deployments deployments = new Deployments(vertx);
    long started = System.currentTimeMillis();
    return vertx.executeBlocking(() -> {
      SecureRandom random = new SecureRandom();
      random.nextBytes(new byte[16]);
      // From the stored anchor, not the seed: catching up costs the epochs since the last advance.
      long loading = System.nanoTime();
      AuthorityAnchor.Loaded loaded = AuthorityAnchor.load(config.files(), clock, config.method1());
      logAnchor(loaded, config, (System.nanoTime() - loading) / 1_000_000);
      // Issue 17 item 4: with etcd.endpoints, tokens, serials, revocations and the CA key are shared.
      AuthorityConfig.Etcd etcd = config.etcd();
      EtcdReplicaState shared = null;
      try {
        if (etcd != null) {
          requireEtcdClient();
          shared = EtcdReplicaState.open(etcd.endpoints(), etcd.prefix(), etcd.kekFile());
        }
        X509Certificate caCert = Pem.certificate(Files.readString(config.file(AuthorityFiles.CA_CERT)));
        Path caKeyFile = config.file(AuthorityFiles.CA_KEY);
        PrivateKey localCaKey = shared != null && !Files.exists(caKeyFile) ? null
            : Pem.privateKey(Files.readString(caKeyFile));
        List<X509Certificate> previous = io.sscmic.authority.ca.CaRotation.previous(config.files());
        MeshCa ca = shared == null ? new MeshCa(caCert, localCaKey, random, previous)
            : shared.ca(caCert, localCaKey, random, previous);
        X509Certificate cert = Pem.certificate(Files.readString(config.file(AuthorityFiles.CERT)));
        PrivateKey key = Pem.privateKey(Files.readString(config.file(AuthorityFiles.KEY)));
        byte[] tokenKey = MeshInit.tokenKey(config.files());
        EnrollmentTokens tokens = shared == null ? new EnrollmentTokens(tokenKey,
            config.file(AuthorityFiles.USED_TOKENS)) : shared.tokens(tokenKey);
        Revocations revocations = shared == null ? Revocations.load(config.file(AuthorityFiles.REVOKED))
            : shared.revocations(config.file(AuthorityFiles.REVOKED));
        IssuedCertificates issued = shared == null ? IssuedCertificates.load(config.file(IssuedCertificates.NAME))
            : shared.issued(config.file(IssuedCertificates.NAME));
        KeyChain chain = loaded.chain();
        if (shared != null) {
          // Re-seeds another replica scheduled (etcd.reseed-every): the same chain as theirs.
          java.util.TreeMap<Long, ChainAnchor> anchors = new java.util.TreeMap<>();
          chain.anchors().forEach(a -> anchors.put(a.epoch(), a));
          shared.reseeds(clock).forEach(a -> anchors.putIfAbsent(a.epoch(), a));
          chain = new KeyChain(List.copyOf(anchors.values()));
        }
        return new MeshFiles(chain, ca, cert, key, tokens, revocations, issued, shared);
      } catch (Exception e) {
        if (shared != null) {
          shared.close();
        }
        throw e;
      }
    }).recover(e -> Future.failedFuture(e instanceof io.sscmic.authority.ha.KeyEncryptionKey.InvalidKek
        || e instanceof io.sscmic.authority.ha.CaKeyEnvelope.Unopenable
        || String.valueOf(e.getMessage()).startsWith("cannot reach etcd")
        || String.valueOf(e.getMessage()).startsWith("etcd.endpoints is set")
        ? new IllegalStateException("authority replica on etcd: " + e.getMessage(), e)
        : new IllegalStateException("cannot read the mesh files in " + config.dir()
        + " (made by sscmic init): " + e.getMessage(), e))).compose(files -> {
          MeshCa ca = files.ca();
          X509Certificate cert = files.certificate();
          EnrollmentTokens tokens = files.tokens();
          Revocations revocations = files.revocations();
          AuthorityVerticle server = new AuthorityVerticle(new AuthorityVerticle.Options(config.listen(),
              config.certificateValidity(), config.method1(), config.security().maxRenewalAge(), config.registry()), ca, cert,
              files.key(), tokens, schedule, clock, registry, revocations, files.issued());
          AdminServerVerticle admin = config.adminListen() == null ? null
              : new AdminServerVerticle(ID, config.adminListen(), registry, config.adminPasswordHash(),
                  config.adminTls(), config.dir());
          Gauge.builder(io.sscmic.keysyn.recovery.AuthorityRecovery.CERTIFICATE_EXPIRY, server,
                  s -> s.certificate().getNotAfter().getTime() / 1000.0)
              .description("When this node's certificate expires, Unix time in seconds").baseUnit("seconds")
              .tag("node", ID).register(registry);
          io.sscmic.keysyn.KeyScheduleGauges scheduleGauges = new io.sscmic.keysyn.KeyScheduleGauges(registry, ID,
              schedule);
          // Each rotation (and each status read) brings the epoch gauges in line with the schedule.
          deployments.consumer(vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> {
            if (ID.equals(m.body().getString("node"))) {
              scheduleGauges.refresh();
            }
          }));
          deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.ready(ID), m -> m.reply(new JsonObject()
              .put("ready", schedule.isReady()).put("checks", new JsonObject().put("keyState", schedule.isReady())))));
          deployments.consumer(vertx.eventBus().localConsumer(AdminAddresses.status(ID), m -> m.reply(status(scheduleGauges, schedule,
              server, clock, server.certificate(), started).put("revoked", new JsonArray(List.copyOf(revocations.all()))))));
          deployments.consumer(vertx.eventBus().<JsonObject>localConsumer(AdminAddresses.action(ID, "reseed"),
              m -> reseed(vertx, config).onComplete(ar -> m.reply(ar.result()))));
          deployments.consumer(vertx.eventBus().<JsonObject>localConsumer(AdminAddresses.action(ID, "revoke"),
              m -> revoke(vertx, server, m.body() == null ? null : m.body().getString("serial",
                  m.body().getString("node")))
                  .onComplete(ar -> m.reply(ar.result()))));
          Future<?> adminUp = admin == null ? Future.succeededFuture() : deployments.deploy(admin);
          return adminUp
              .compose(x -> deployments.deploy(new KeySynVerticle(ID, clock, schedule, files.chain())))
              .compose(x -> deployments.deploy(server))
              .compose(x -> files.shared() == null ? Future.succeededFuture() : vertx.executeBlocking(
                  () -> files.shared().shareRegistry(server.serviceRegistry(), config.registry().ttl())))
              .map(x -> {
                scheduleGauges.refresh();
                AuthorityRole role = new AuthorityRole(config, deployments, server, admin, tokens, schedule);
                role.vertx = vertx;
                role.shared = files.shared();
                if (files.shared() != null && config.etcd().reseedEvery() != null) {
                  role.startScheduledReseeds(files.shared());
                } else if (files.shared() != null) {
                  // Re-seeds made by hand on another replica's host reach this one through etcd.
                  files.shared().watchReseeds(new EpochClock(config.genesis(), config.interval()),
                      role::adoptSharedReseed);
                }
                role.watchReseeds(vertx, files.chain());
                role.advanceAnchor(vertx);
                role.watchCertificate(vertx);
                return role.watchPolicy(vertx);
              }).compose(role -> role.policyRead.future().map(role));
        })
        .recover(e -> deployments.stop().transform(x -> Future.failedFuture(e)));
  }

  /**
   * jetcd is an optional dependency of the authority module (the node's jar does not carry it):
   * an authority configured for etcd without it says so instead of failing on a missing class.
   */
  private static void requireEtcdClient() {
    try {
      Class.forName("io.etcd.jetcd.Client", false, AuthorityRole.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("etcd.endpoints is set but this build has no etcd client (io.etcd:jetcd-core "
          + "is not on the class path): run the authority from a build that includes it");
    }
  }

  /**
   * The scheduled re-seed (etcd.reseed-every): the replica that leads writes it to etcd; each
   * replica schedules every re-seed it learns there, as one read from the chain file.
   */
  private void startScheduledReseeds(EtcdReplicaState etcd) {
    EpochClock clock = new EpochClock(config.genesis(), config.interval());
    String replica = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
    etcd.startReseeds(clock, config.etcd().reseedEvery(), Duration.ofMinutes(2), new SecureRandom(), replica,
        this::adoptSharedReseed);
  }

  /** A re-seed found in etcd (the leader's scheduled one, or one made by hand on any replica's host). */
  private void adoptSharedReseed(ChainAnchor a) {
    vertx.runOnContext(v -> {
      KeyState current = schedule.current();
      ChainAnchor pending = schedule.pending();
      if (current == null || a.epoch() <= current.epoch() || pending != null && pending.epoch() == a.epoch()) {
        return;
      }
      schedule.schedule(a);
      LOG.info(() -> "authority: re-seed shared by the replicas (etcd): a new key chain from epoch " + a.epoch()
          + " (in " + (a.epoch() - current.epoch()) + " epochs); nodes learn it when they next ask");
    });
  }

  /** The etcd state this replica shares (issue 17 item 4), or null for one authority on its files. */
  private EtcdReplicaState shared;

  private static void logAnchor(AuthorityAnchor.Loaded loaded, AuthorityConfig config, long millis) {
    LOG.info(() -> "authority: key chain from the anchor at epoch " + loaded.anchor().epoch() + " ("
        + loaded.stepsFromStoredAnchor() + " ratchet steps from the stored one, " + millis + " ms)"
        + (loaded.erased().isEmpty() ? "" : "; erased the replaced " + loaded.erased().stream()
            .map(p -> p.getFileName().toString()).toList()));
    if (loaded.seedKept()) {
      LOG.warning(() -> "authority: " + config.file(AuthorityFiles.SEED) + " is kept because recovery method 1 is on"
          + " (its nodes compute keys from it): with it, anyone who reads this disk computes every key of the"
          + " mesh, past ones included. The authority does not need it: move it off this machine once the"
          + " method-1 nodes have it");
    }
    long steps = AuthorityAnchor.stepsToCatchUp(java.time.Duration.ofDays(30), config.security().anchorAdvance(),
        config.interval());
    if (steps > AuthorityAnchor.CATCH_UP_BUDGET_STEPS && config.security().shortIntervalOnPurpose()) {
      LOG.info(() -> "authority: mesh.interval " + config.interval().toMillis() + " ms, under "
          + AuthorityAnchor.MIN_INTERVAL.toSeconds() + " s on purpose (mesh.allow-short-interval): keys rotate fast"
          + " for a test or demo mesh; a real mesh uses 20 s or more");
    } else if (steps > AuthorityAnchor.CATCH_UP_BUDGET_STEPS) {
      LOG.warning(() -> "authority: mesh.interval " + config.interval().toMillis() + " ms: after a 30-day outage this"
          + " authority would ratchet " + steps + " steps before it is ready (more than "
          + AuthorityAnchor.CATCH_UP_BUDGET_STEPS + ", about a second); new meshes need an interval of at least "
          + AuthorityAnchor.MIN_INTERVAL.toSeconds() + " s");
    }
  }

  /** Identifies one version of a file: a rotation renames a new file in place, which changes its file key. */
  private static String version(Path file) throws java.io.IOException {
    var a = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
  }

  /**
   * Serves the pair that {@code sscmic authority-cert rotate} writes, within a second and without
   * a restart (new connections and recovery signatures use it; nodes trust the CA, so they need
   * nothing). A key that does not match the certificate (read between the two renames) is retried.
   */
  private void watchCertificate(Vertx vertx) {
    Path certFile = config.file(AuthorityFiles.CERT);
    Path keyFile = config.file(AuthorityFiles.KEY);
    String[] seen = {null};
    vertx.executeBlocking(() -> version(certFile)).onSuccess(v -> seen[0] = v);
    certificateTimer = vertx.setPeriodic(1000, t -> vertx.executeBlocking(() -> {
      String v = version(certFile);
      if (seen[0] == null || v.equals(seen[0])) {
        return null;
      }
      X509Certificate c = Pem.certificate(Files.readString(certFile));
      PrivateKey k = Pem.privateKey(Files.readString(keyFile));
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      if (!io.sscmic.keysyn.recovery.RecoveryCrypto.verify(c.getPublicKey(), probe,
          io.sscmic.keysyn.recovery.RecoveryCrypto.sign(k, probe))) {
        throw new IllegalStateException(keyFile + " does not match " + certFile + " (yet)");
      }
      seen[0] = v;
      return new ServingPair(c, k);
    }).compose(r -> r == null ? Future.succeededFuture()
        : server.useCertificate(r.certificate(), r.key()))
        .onFailure(e -> LOG.warning(() -> "authority: cannot load the rotated certificate: " + e.getMessage()
            + "; still serving the previous one, trying again in a second")));
  }

  /** Completes once the policy file was read the first time (the watch starts with it). */
  private final io.vertx.core.Promise<Void> policyRead = io.vertx.core.Promise.promise();

  /**
   * Sends what {@code sscmic policy} writes ({@value io.sscmic.authority.policy.MeshPolicy#FILE}
   * and, for {@code policy revoke}, the revocations file) to the registry watchers within a second,
   * as {@link #watchReseeds} does for re-seeds: the files' permissions are the authorization.
   */
  private AuthorityRole watchPolicy(Vertx vertx) {
    Path policyFile = config.file(io.sscmic.authority.policy.MeshPolicy.FILE);
    Path revokedFile = config.file(AuthorityFiles.REVOKED);
    String[] seen = {null, null};
    // Replicas on etcd: the policy edited on any replica's host reaches every replica's file.
    io.sscmic.authority.ha.EtcdPolicy sharedPolicy = shared == null ? null : shared.policy();
    Runnable check = () -> vertx.executeBlocking(() -> {
      if (sharedPolicy != null) {
        try {
          sharedPolicy.reconcile(policyFile);
        } catch (java.io.IOException e) {
          // etcd away: this replica keeps sending its file's policy; the next second tries again.
          LOG.warning(() -> "authority: cannot share the mesh policy through etcd: " + e.getMessage());
        }
      }
      String p = Files.exists(policyFile) ? version(policyFile) : "none";
      if (!p.equals(seen[0])) {
        io.sscmic.authority.policy.MeshPolicy loaded = io.sscmic.authority.policy.MeshPolicy.load(policyFile);
        seen[0] = p;
        if (!loaded.equals(server.policyFeed().policy())) {
          server.policyFeed().policy(loaded);
          LOG.info(() -> "authority: mesh policy version " + loaded.version() + " (" + loaded.lines().size()
              + " lines) sent to the registry watchers");
        }
      }
      String r = Files.exists(revokedFile) ? version(revokedFile) : "none";
      // Shared revocations (etcd) are read every second too, besides the watch: a missed watch event heals.
      if (!r.equals(seen[1]) || server.sharesRevocations()) {
        boolean first = seen[1] == null;
        seen[1] = r;
        java.util.Set<String> added = server.reloadRevocations();
        if (!added.isEmpty() && !first) {
          LOG.warning(() -> "authority: revoked " + added + " (sscmic policy revoke): off the roster the watchers get;"
              + " their certificates can no longer recover or renew");
        }
      }
      return null;
    }).onComplete(ar -> {
      policyRead.tryComplete();
      if (ar.failed()) {
        LOG.warning(() -> "authority: cannot read the policy or revocations: " + ar.cause().getMessage()
            + " (the watchers keep the last ones; trying again in a second)");
      }
    });
    check.run();
    policyTimer = vertx.setPeriodic(1000, t -> check.run());
    return this;
  }

  /**
   * Moves the stored anchor to the running key state every {@code authority.anchor-advance} and
   * erases what it replaces, so the authority's disk never holds keys older than one period.
   */
  private void advanceAnchor(Vertx vertx) {
    anchorTimer = vertx.setPeriodic(config.security().anchorAdvance().toMillis(), t -> {
      KeyState s = schedule.current();
      if (s == null) {
        return;
      }
      vertx.executeBlocking(() -> {
        ChainAnchor anchor = AuthorityAnchor.of(s);
        return new AnchorMove(anchor, AuthorityAnchor.keepOnly(config.files(), anchor, config.method1()));
      }).onComplete(ar -> {
        if (ar.failed()) {
          LOG.warning(() -> "authority: cannot advance the key anchor: " + ar.cause().getMessage() + " (the old one"
              + " stays; trying again in " + config.security().anchorAdvance() + ")");
          return;
        }
        LOG.info(() -> "authority: key anchor advanced to epoch " + ar.result().anchor().epoch()
            + "; erased " + ar.result().erased());
      });
    });
  }

  /**
   * Picks up re-seeds that {@code sscmic reseed} appends to the chain file while the authority
   * runs (file permissions are the authorization), and announces them to recovering nodes.
   */
  private void watchReseeds(Vertx vertx, KeyChain loaded) {
    Path file = config.file(ChainFile.NAME);
    long[] seen = {-1};
    java.util.Set<Long> known = new java.util.HashSet<>();
    loaded.anchors().forEach(a -> known.add(a.epoch()));
    watchTimer = vertx.setPeriodic(1000, t -> vertx.executeBlocking(() -> {
      long stamp = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() ^ Files.size(file) : 0;
      if (stamp == seen[0]) {
        return null;
      }
      seen[0] = stamp;
      return ChainFile.read(file);
    }).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warning(() -> "authority: cannot read " + file + ": " + ar.cause().getMessage());
        return;
      }
      if (ar.result() == null || schedule.current() == null) {
        return;
      }
      long now = schedule.current().epoch();
      for (ChainAnchor a : ar.result()) {
        if (!known.add(a.epoch())) {
          continue;
        }
        if (a.epoch() > now) {
          schedule.schedule(a);
          if (shared != null) {
            // Replicas on etcd: the other replicas schedule the same re-seed (before, only this one did).
            EtcdReplicaState etcd = shared;
            vertx.executeBlocking(() -> etcd.publishReseed(a)).onComplete(w -> {
              if (w.failed()) {
                LOG.severe(() -> "authority: the re-seed at epoch " + a.epoch() + " could not be written to etcd: "
                    + w.cause().getMessage() + "; the other replicas do not have it: run sscmic reseed again");
              } else {
                LOG.info(() -> "authority: re-seed at epoch " + a.epoch() + (w.result() ? " written to etcd for every"
                    + " replica" : " was in etcd already"));
              }
            });
          }
          LOG.info(() -> "authority: re-seed scheduled: a new key chain from epoch " + a.epoch() + " (in "
              + (a.epoch() - now) + " epochs); nodes learn it when they next ask");
          return;
        }
        LOG.warning(() -> "authority: ignoring a re-seed at epoch " + a.epoch() + ", which is not in the future"
            + " (it takes effect at the next authority start; nodes then adopt it when they next ask)");
      }
    }));
  }

  /**
   * The dashboard's revoke action: {@code serial:<hex>} revokes one certificate (a copied key's),
   * leaving the node's live one alone; a node id revokes every certificate of the node, which a
   * new enrollment token re-admits. A re-seed then shuts the holder out of the key chain.
   */
  private static Future<JsonObject> revoke(Vertx vertx, AuthorityVerticle server, String what) {
    if (what == null || what.isBlank()) {
      return Future.succeededFuture(new JsonObject().put("ok", false).put("message",
          "which node id, or which certificate (serial:<hex>)?"));
    }
    String target = what.trim();
    return vertx.executeBlocking(() -> {
      if (target.startsWith("serial:")) {
        java.math.BigInteger serial;
        try {
          serial = new java.math.BigInteger(target.substring("serial:".length()), 16);
        } catch (NumberFormatException e) {
          return new JsonObject().put("ok", false).put("message", "a serial is hex digits, as in serial:3fa2...");
        }
        String node = server.revokeSerial(serial);
        LOG.warning(() -> "authority: dashboard: revoked certificate serial " + serial.toString(16)
            + (node == null ? "" : " of node '" + node + "'"));
        return new JsonObject().put("ok", true).put("message", "revoked certificate serial " + serial.toString(16)
            + (node == null ? " (not a live certificate of any node)" : " of node '" + node + "'; the node's other"
            + " certificate, if live, still works; a node left without one enrolls again with a new token")
            + "; schedule a re-seed to shut the holder out of the current key chain");
      }
      try {
        if (!server.revokeNode(target)) {
          return new JsonObject().put("ok", true).put("message", "node '" + target + "' was already revoked");
        }
      } catch (IllegalArgumentException e) {
        return new JsonObject().put("ok", false).put("message", e.getMessage());
      }
      LOG.warning(() -> "authority: dashboard: revoked node '" + target + "'");
      return new JsonObject().put("ok", true).put("message", "revoked node '" + target + "': its certificates can no"
          + " longer recover or renew (a new enrollment token re-admits it); it still holds the current key chain,"
          + " so schedule a re-seed to shut it out");
    }).otherwise(e -> new JsonObject().put("ok", false).put("message", "cannot revoke: " + e.getMessage()));
  }

  /** The dashboard's re-seed action: as {@code sscmic reseed --in 2m}, answering {ok, message}. */
  private static Future<JsonObject> reseed(Vertx vertx, AuthorityConfig config) {
    return vertx.executeBlocking(() -> {
      try {
        String done = Reseed.schedule(config.files(), new EpochClock(config.genesis(), config.interval()), config.method1(),
            Duration.ofMinutes(2), new SecureRandom());
        LOG.info(() -> "authority: dashboard: " + done);
        return new JsonObject().put("ok", true).put("message", done);
      } catch (Reseed.Refused e) {
        return new JsonObject().put("ok", false).put("message", e.getMessage());
      }
    }).otherwise(e -> new JsonObject().put("ok", false).put("message", "cannot schedule a re-seed: "
        + e.getMessage()));
  }

  private static JsonObject status(io.sscmic.keysyn.KeyScheduleGauges gauges, KeySchedule schedule,
                                   AuthorityVerticle server, EpochClock clock, X509Certificate cert, long started) {
    gauges.refresh();
    KeyState s = schedule.current();
    JsonObject recoveries = new JsonObject();
    server.lastRecovery().forEach((node, at) -> recoveries.put(node, second(at)));
    JsonObject nodes = new JsonObject();
    server.certificateExpiry().forEach((node, until) -> nodes.put(node, new JsonObject()
        .put("certificateExpiry", second(until)).put("lastRecovery", recoveries.getString(node))));
    server.certificates().all().forEach((node, e) -> {
      JsonObject n = nodes.getJsonObject(node, new JsonObject());
      nodes.put(node, n.put("enrolled", e.enrolled().toString()).put("serial", e.active() == null ? null
          : e.active().toString(16)));
    });
    // The mesh-wide console: each node as its last recovery described it (times to the second).
    server.contacts().forEach((node, c) -> {
      JsonObject n = nodes.getJsonObject(node, new JsonObject());
      nodes.put(node, n.put("contact", new JsonObject().put("at", second(c.at())).put("started", c.started())
          .put("version", c.version()).put("epoch", c.epoch()).put("reseedEpoch", c.reseedEpoch())));
    });
    server.keyConflicts().forEach((node, count) -> {
      JsonObject n = nodes.getJsonObject(node, new JsonObject());
      nodes.put(node, n.put("keyConflicts", count));
    });
    JsonObject requests = new JsonObject();
    server.outcomes().forEach(requests::put);
    return new JsonObject().put("node", ID).put("role", "authority").put("ready", s != null)
        .put("epoch", s == null ? null : s.epoch()).put("tc", s == null ? null : s.tc())
        .put("intervalSeconds", clock.interval().toMillis() / 1000.0)
        .put("secondsToNextRotation", clock.millisUntilNextEpoch() / 1000.0)
        .put("uptimeSeconds", (System.currentTimeMillis() - started) / 1000)
        // A re-seed already past is history, not "scheduled".
        .put("reseedEpoch", io.sscmic.keysyn.KeyScheduleGauges.upcomingReseed(schedule))
        .put("certificateExpiry", cert.getNotAfter().toInstant().toString())
        .put("requests", requests).put("lastRecovery", recoveries).put("nodes", nodes)
        .put("registry", new JsonArray(server.serviceRegistry().entries().stream()
            .map(io.sscmic.keysyn.registry.Registration::toJson).toList()))
        .put("policy", server.policyFeed().line())
        // A node is live when it asked within three refresh periods (authority.refresh, 30 s by default).
        .put("liveWithinSeconds", LIVE_WITHIN_SECONDS);
  }

  /** Three of the nodes' default refresh periods (authority.refresh, 30 s). */
  static final int LIVE_WITHIN_SECONDS = 90;

  private static String second(Instant at) {
    return at == null ? null : at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  /** A one-time enrollment token for {@code node}, valid for {@code ttl}. */
  public static String issueToken(AuthorityConfig config, String node, Duration ttl) throws java.io.IOException {
    return new EnrollmentTokens(MeshInit.tokenKey(config.files())).issue(node, ttl, Instant.now(), new SecureRandom());
  }

  public Future<Void> stop() {
    vertx.cancelTimer(watchTimer);
    vertx.cancelTimer(anchorTimer);
    vertx.cancelTimer(certificateTimer);
    vertx.cancelTimer(policyTimer);
    EtcdReplicaState etcd = shared;
    return deployments.stop().eventually(() -> etcd == null ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          etcd.close();
          return null;
        }));
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

  /** What the authority reads from its directory at start (on a worker). */
  private record MeshFiles(KeyChain chain, MeshCa ca, X509Certificate certificate, PrivateKey key,
                           EnrollmentTokens tokens, Revocations revocations, IssuedCertificates issued,
                           EtcdReplicaState shared) {
  }

  /** The authority's TLS certificate and key after a rotation, checked to belong together. */
  private record ServingPair(X509Certificate certificate, PrivateKey key) {
  }

  /** An anchor moved forward and the files its move erased. */
  private record AnchorMove(ChainAnchor anchor, List<Path> erased) {
  }
}
