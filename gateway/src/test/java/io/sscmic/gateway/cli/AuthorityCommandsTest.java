package io.sscmic.gateway.cli;

import io.sscmic.authority.AuthorityFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.authority.MeshInit;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
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

  private static AuthorityConfig load(Path file) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      return AuthorityConfig.load(vertx, file).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close();
    }
  }

  @Test
  void initWritesANewMeshWithItsSecretsReadableOnlyByTheOwner() throws Exception {
    Path mesh = dir.resolve("mesh");
    assertEquals(0, run("init", "--dir", mesh.toString(), "--interval", "15s", "--listen", "0.0.0.0:8443",
        "--host", "authority.internal"), err.toString());
    for (String secret : new String[] {"seed", "anchor", "ca.key", "authority.key", "token.key"}) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mesh.resolve(secret))),
          secret);
      assertTrue(out.toString().contains(secret + "   (secret, 0600)"), out.toString());
    }
    assertTrue(out.toString().contains("sscmic authority --config " + mesh.resolve("authority.yaml")), out.toString());
    assertTrue(out.toString().contains("url: https://authority.internal:8443"), out.toString());

    AuthorityConfig cfg = load(mesh.resolve(AuthorityFiles.FILE));
    assertEquals(Duration.ofSeconds(15), cfg.interval());
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
    assertTrue(err.toString().contains("at least 15s") && err.toString().contains("267840000 ratchet steps"),
        err.toString());
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
