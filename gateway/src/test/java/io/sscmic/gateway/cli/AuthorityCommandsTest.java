package io.sscmic.gateway.cli;

import io.sscmic.authority.store.AuthorityFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.authority.MeshInit;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.keysyn.pki.Pem;
import io.sscmic.gateway.TestVertx;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code sscmic init} and {@code sscmic token} as an operator runs them. */
class AuthorityCommandsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  @TempDir
  Path dir;

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
  }

  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private AuthorityConfig load(Path file) throws Exception {
    return AuthorityConfig.load(vertx.get(), file).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void initWritesANewMeshWithItsSecretsReadableOnlyByTheOwner() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString(), "--interval", "20s", "--listen", "0.0.0.0:8443",
        "--host", "authority.internal"), err.toString());
    for (String secret : new String[] {"seed", "anchor", "ca.key", "authority.key", "token.key"}) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mesh.resolve(secret))),
          secret);
      assertTrue(out.toString().contains(secret + "   (secret, 0600)"), out.toString());
    }
    assertTrue(out.toString().contains("sscmic authority --config " + mesh.resolve("authority.yaml")), out.toString());
    assertTrue(out.toString().contains("url: https://authority.internal:8443"), out.toString());

    AuthorityConfig cfg = load(mesh.resolve(AuthorityFiles.FILE));
    assertEquals(Duration.ofSeconds(20), cfg.interval());
    assertEquals(8443, cfg.listen().port());
    assertTrue(cfg.genesis().isBefore(Instant.now()), "genesis in the past: the chain has a previous key");
    // The authority's certificate names the host the nodes use, signed by the new CA.
    var cert = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CERT)));
    cert.verify(Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CA_CERT))).getPublicKey());
    assertTrue(cert.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("authority.internal")));

    // A second init into the same directory would replace the seed of a live mesh: refused.
    String seedBefore = Files.readString(mesh.resolve("seed"));
    assertEquals(1, run("init", "--dir", mesh.toString()));
    assertTrue(err.toString().contains("already holds a mesh"), err.toString());
    assertEquals(seedBefore, Files.readString(mesh.resolve("seed")));
  }

  @Test
  void initTakesAFixedGenesisInThePastAndRefusesOneInTheFuture() throws Exception {
    Path mesh = dir.resolve("fixed");
    assertEquals(0, run("init", "--dir", mesh.toString(), "--genesis", "2026-01-01T00:00:00Z"), err.toString());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), load(mesh.resolve(AuthorityFiles.FILE)).genesis());
    assertTrue(out.toString().contains("genesis: 2026-01-01T00:00:00Z"), out.toString());

    assertEquals(2, run("init", "--dir", dir.resolve("future").toString(),
        "--genesis", Instant.now().plus(Duration.ofHours(1)).toString()));
    assertTrue(err.toString().contains("must lie at least one interval in the past"), err.toString());
    assertEquals(2, run("init", "--dir", dir.resolve("bad").toString(), "--genesis", "yesterday"));
    assertTrue(err.toString().contains("--genesis 'yesterday'"), err.toString());
    assertTrue(Files.notExists(dir.resolve("future")) && Files.notExists(dir.resolve("bad")), "nothing written");
  }

  @Test
  void tokenPrintsOnlyTheTokenAndTheAuthorityAcceptsItOnceForThatNode() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString()));
    Path config = mesh.resolve(AuthorityFiles.FILE);
    assertEquals(0, run("token", "--config", config.toString(), "--node", "orders-1", "--ttl", "10m"), err.toString());
    String token = out.toString().trim();
    assertTrue(token.matches("[A-Za-z0-9_-]+"), "one base64url word on stdout: " + token);
    assertTrue(err.toString().contains("one-time enrollment token for node 'orders-1'"), err.toString());

    EnrollmentTokens tokens = new EnrollmentTokens(MeshInit.tokenKey(load(config).files()), mesh.resolve("used-tokens"));
    assertEquals("orders-1", tokens.redeem(token, Instant.now()));
    // The used-token list survives an authority restart.
    EnrollmentTokens afterRestart = new EnrollmentTokens(MeshInit.tokenKey(load(config).files()), mesh.resolve("used-tokens"));
    IllegalArgumentException reuse = assertThrows(IllegalArgumentException.class,
        () -> afterRestart.redeem(token, Instant.now()));
    assertEquals("token already used", reuse.getMessage());
  }

  /**
   * Issue 17 item 4: the etcd keys of authority.yaml. Absent: one authority on its files. With
   * endpoints, the KEK file is required (relative to the config's directory), and the keys that
   * only make sense with etcd are refused without it.
   */
  @Test
  void etcdKeysParseAndTheKekFileIsRequiredWithEndpoints() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString(), "--host", "authority.internal"), err.toString());
    Path config = mesh.resolve(AuthorityFiles.FILE);
    String base = Files.readString(config);
    assertEquals(null, load(config).etcd(), "one authority on local files by default");
    Files.writeString(config, base + "\netcd:\n  endpoints: http://10.0.0.5:2379,http://10.0.0.6:2379\n"
        + "  prefix: /sscmic/mesh-a\n  kek-file: kek\n  reseed-every: 30d\n");
    AuthorityConfig.Etcd etcd = load(config).etcd();
    assertEquals(List.of("http://10.0.0.5:2379", "http://10.0.0.6:2379"), etcd.endpoints());
    assertEquals("/sscmic/mesh-a/", etcd.prefix());
    assertEquals(mesh.toAbsolutePath().resolve("kek"), etcd.kekFile());
    assertEquals(Duration.ofDays(30), etcd.reseedEvery());
    Files.writeString(config, base + "\netcd:\n  endpoints: http://10.0.0.5:2379\n");
    Exception noKek = assertThrows(Exception.class, () -> load(config));
    assertTrue(String.valueOf(noKek.getCause()).contains("etcd.kek-file") && String.valueOf(noKek.getCause())
        .contains("required with etcd.endpoints"), String.valueOf(noKek.getCause()));
    Files.writeString(config, base + "\netcd:\n  kek-file: kek\n");
    Exception kekAlone = assertThrows(Exception.class, () -> load(config));
    assertTrue(String.valueOf(kekAlone.getCause()).contains("only with etcd.endpoints"),
        String.valueOf(kekAlone.getCause()));
    Files.writeString(config, base + "\netcd:\n  endpoints: 10.0.0.5:2379\n  kek-file: kek\n");
    Exception bad = assertThrows(Exception.class, () -> load(config));
    assertTrue(String.valueOf(bad.getCause()).contains("expected etcd client URLs"), String.valueOf(bad.getCause()));
  }

  /**
   * Issue 14 item 9: the operator rotates the authority certificate while the authority runs. The
   * running authority serves the new certificate on new connections within seconds, a node that
   * trusts only ca.crt enrolls and recovers against it (the recovery answer is signed with the new
   * key), and the old key is gone from the directory.
   */
  @Test
  void authorityCertRotateReplacesTheKeyAndTheRunningAuthorityServesItWithoutARestart() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString(), "--host", "authority.internal"), err.toString());
    Path config = mesh.resolve(AuthorityFiles.FILE);
    AuthorityConfig loaded = load(config);
    AuthorityConfig cfg = new AuthorityConfig(loaded.dir(), loaded.genesis(), loaded.interval(),
        io.vertx.core.net.SocketAddress.inetSocketAddress(0, "127.0.0.1"), loaded.certificateValidity(),
        loaded.method1(), null, null);
    String oldKey = Files.readString(mesh.resolve(AuthorityFiles.KEY));
    var oldCert = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CERT)));
    Vertx vertx = Vertx.vertx();
    try {
      var role = io.sscmic.gateway.authority.AuthorityRole.start(vertx, cfg,
          new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
              io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(oldCert, role.server().certificate());

      assertEquals(0, run("authority-cert", "rotate", "--config", config.toString(), "--validity", "90d"),
          err.toString());
      assertTrue(out.toString().contains("its key is erased"), out.toString());
      var newCert = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CERT)));
      assertTrue(!newCert.getPublicKey().equals(oldCert.getPublicKey()), "a new key");
      assertTrue(!Files.readString(mesh.resolve(AuthorityFiles.KEY)).equals(oldKey), "the old key is replaced");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
          mesh.resolve(AuthorityFiles.KEY))));
      try (var left = Files.list(mesh)) {
        assertTrue(left.noneMatch(f -> f.getFileName().toString().endsWith(".old")), "no copy of the old key left");
      }
      assertTrue(newCert.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("authority.internal")),
          "the names are kept");
      assertTrue(io.sscmic.keysyn.pki.NodeCertificates.isAuthority(newCert));
      newCert.verify(Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CA_CERT))).getPublicKey());
      assertTrue(newCert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(91))));

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!newCert.equals(role.server().certificate())) {
        assertTrue(System.nanoTime() < deadline, "the running authority picked up the new certificate");
        Thread.sleep(100);
      }
      // A node that trusts only ca.crt: TLS to the new certificate, a recovery answer signed with the new key.
      var ca = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CA_CERT)));
      var client = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), ca, "n1",
          new java.security.SecureRandom());
      String token = role.tokens().issue("n1", Duration.ofMinutes(5), Instant.now(), new java.security.SecureRandom());
      client.enroll(token).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      var clock = new io.sscmic.keysyn.EpochClock(cfg.genesis(), cfg.interval());
      client.recover(clock).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      var http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setSsl(true).setVerifyHost(true)
          .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertValue(
              io.vertx.core.buffer.Buffer.buffer(Pem.encode(ca)))));
      var served = http.request(io.vertx.core.http.HttpMethod.GET, role.port(), "127.0.0.1", "/v1/epoch")
          .compose(req -> req.send().map(resp -> {
            try {
              return req.connection().peerCertificates();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
              throw new IllegalStateException(e);
            }
          }))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(newCert, served.get(0), "new connections get the new certificate");
      role.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    assertEquals(2, run("authority-cert", "renew", "--config", config.toString()));
    assertTrue(err.toString().contains("expected 'rotate'"), err.toString());
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static io.sscmic.gateway.authority.AuthorityRole startRole(Vertx vertx, AuthorityConfig cfg) throws Exception {
    return await(io.sscmic.gateway.authority.AuthorityRole.start(vertx, cfg,
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT)));
  }

  /**
   * Issue 14 item 9: the mesh CA rotated in place. A node that trusts the bundle (old and new CA)
   * keeps recovering across the switch with its old-CA certificate and renews into a new-CA one;
   * a node that trusts only the old CA cannot reach the switched authority (why the bundle comes
   * first); after --retire, old-CA certificates are refused.
   */
  @Test
  void caRotateStagesSwitchesAndRetiresWhileANodeWithTheBundleKeepsWorking() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString()), err.toString());
    Path config = mesh.resolve(AuthorityFiles.FILE);
    AuthorityConfig loaded = load(config);
    AuthorityConfig cfg = new AuthorityConfig(loaded.dir(), loaded.genesis(), loaded.interval(),
        io.vertx.core.net.SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofMinutes(5),
        loaded.method1(), null, null);
    var clock = new io.sscmic.keysyn.EpochClock(cfg.genesis(), cfg.interval());
    var random = new java.security.SecureRandom();
    var oldCa = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CA_CERT)));
    Vertx vertx = Vertx.vertx();
    try {
      var role = startRole(vertx, cfg);
      var node = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), oldCa, "n1", random);
      var first = await(node.enroll(role.tokens().issue("n1", Duration.ofMinutes(5), Instant.now(), random)));
      await(node.recover(clock));

      assertEquals(0, run("ca", "rotate", "--config", config.toString(), "--stage"), err.toString());
      var bundle = Pem.certificates(Files.readString(mesh.resolve("ca-bundle.crt")));
      assertEquals(2, bundle.size());
      assertEquals(oldCa, bundle.get(0));
      assertEquals(1, run("ca", "rotate", "--config", config.toString(), "--stage"), "staged once");

      assertEquals(0, run("ca", "rotate", "--config", config.toString(), "--switch"), err.toString());
      var newCa = Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CA_CERT)));
      assertEquals(bundle.get(1), newCa);
      Pem.certificate(Files.readString(mesh.resolve(AuthorityFiles.CERT))).verify(newCa.getPublicKey());
      await(role.stop());
      role = startRole(vertx, cfg);

      // The node restarted with the bundle as its ca-file: its old-CA certificate still works.
      var withBundle = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), bundle, "n1",
          random).identity(first);
      await(withBundle.recover(clock));
      var renewed = await(withBundle.renew());
      renewed.certificate().verify(newCa.getPublicKey());
      await(withBundle.recover(clock));
      // A node still trusting only the old CA does not reach the switched authority.
      var oldOnly = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), oldCa, "n2",
          random);
      String n2Token = role.tokens().issue("n2", Duration.ofMinutes(5), Instant.now(), random);
      var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> await(oldOnly.enroll(n2Token)));
      assertTrue(e.getCause() instanceof javax.net.ssl.SSLHandshakeException, e.getCause().toString());

      assertEquals(1, run("ca", "rotate", "--config", config.toString(), "--retire"));
      assertTrue(err.toString().contains("retire after"), err.toString());
      Files.setLastModifiedTime(mesh.resolve("ca-previous.crt"),
          java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofHours(25))));  // authority.yaml: 24h validity
      assertEquals(0, run("ca", "rotate", "--config", config.toString(), "--retire"), err.toString());
      assertEquals(java.util.List.of(newCa), Pem.certificates(Files.readString(mesh.resolve("ca-bundle.crt"))));
      await(role.stop());
      role = startRole(vertx, cfg);
      // An old-CA certificate (say, a copy taken before the rotation) is refused now; the node's new one works.
      var stale = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), bundle, "n1", random)
          .identity(first);
      var refused = assertThrows(java.util.concurrent.ExecutionException.class, () -> await(stale.recover(clock)));
      assertTrue(refused.getCause().getMessage().contains("not issued by this mesh's CA"), refused.getCause().toString());
      var current = new io.sscmic.keysyn.recovery.AuthorityClient(vertx, "127.0.0.1", role.port(), newCa, "n1", random)
          .identity(renewed);
      await(current.recover(clock));
      await(role.stop());
    } finally {
      await(vertx.close());
    }
  }

  /** Issue 14 item 7: the authority's own id cannot be handed to a node. */
  @Test
  void aTokenForTheAuthoritysOwnIdIsRefused() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString()));
    Path config = mesh.resolve(AuthorityFiles.FILE);
    for (String reserved : new String[] {"authority", "Authority"}) {
      assertEquals(2, run("token", "--config", config.toString(), "--node", reserved));
      assertTrue(err.toString().contains("reserved for the authority"), err.toString());
      assertEquals("", out.toString().trim(), "no token printed");
    }
  }

  @Test
  void badArgumentsAreNamed() throws Exception {
    assertEquals(2, run("init", "--dir", dir.toString(), "--interval", "soon"));
    assertTrue(err.toString().contains("'--interval'"), err.toString());
    // Issue 14 item 10: an interval whose 30-day catch-up would take more than about a second.
    assertEquals(2, run("init", "--dir", dir.toString(), "--interval", "10ms"));
    assertTrue(err.toString().contains("at least 20s") && err.toString().contains("267840000 ratchet steps"),
        err.toString());
    assertTrue(err.toString().contains("--allow-short-interval"), "the refusal names the way out: " + err);
    // A test mesh that rotates fast on purpose says so, and gets its mesh.
    assertEquals(0, run("init", "--dir", dir.resolve("fast").toString(), "--interval", "2s", "--allow-short-interval"));
    assertTrue(java.nio.file.Files.exists(dir.resolve("fast").resolve("authority.yaml")));
    // ...and the mesh remembers it, so its authority starts with an INFO line instead of a warning.
    assertTrue(load(dir.resolve("fast").resolve("authority.yaml")).security().shortIntervalOnPurpose(),
        "init --allow-short-interval writes mesh.allow-short-interval: true");
    assertEquals(0, run("init", "--dir", dir.resolve("normal").toString(), "--interval", "30s"));
    assertFalse(load(dir.resolve("normal").resolve("authority.yaml")).security().shortIntervalOnPurpose(),
        "a 30 s mesh keeps the warning armed for a later hand edit of the interval");
    assertEquals(2, run("token", "--config", dir.resolve("authority.yaml").toString(), "--node", "no spaces"));
    assertTrue(err.toString().contains("--node 'no spaces'"), err.toString());
    assertEquals(1, run("token", "--config", dir.resolve("missing.yaml").toString(), "--node", "a"));
    assertTrue(err.toString().contains("cannot read"), err.toString());
    assertEquals(1, run("authority", "--config", dir.resolve("missing.yaml").toString()));
    assertTrue(err.toString().contains("cannot read"), err.toString());
    assertEquals(2, run("token", "--node", "a"));
    assertTrue(err.toString().contains("token needs --config"), err.toString());
  }
}
