package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.ha.EtcdServer;
import io.sscmic.authority.ha.EtcdTokenLedger;
import io.sscmic.keysyn.EpochClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 4, first step: two authority replicas share spent enrollment tokens in a real etcd
 * (Debian's etcd-server, started here on loopback ports chosen free), and a token is spent exactly
 * once however the replicas race on it. Skipped where no etcd binary is installed, unless CI is set.
 */
class EtcdEnrollmentTest {
  private final SecureRandom random = new SecureRandom();
  @TempDir
  Path dir;
  private EtcdServer etcd;
  private Vertx vertx;
  private final List<EtcdTokenLedger> ledgers = new ArrayList<>();
  private String endpoint;

  @BeforeEach
  void startEtcd() throws Exception {
    etcd = EtcdServer.start(dir.resolve("etcd"));
    endpoint = etcd.endpoint();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    ledgers.forEach(EtcdTokenLedger::close);
    if (vertx != null) {
      await(vertx.close());
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  /** One replica's own etcd client. */
  private EtcdTokenLedger ledger() {
    EtcdTokenLedger l = new EtcdTokenLedger(List.of(endpoint), "/sscmic/test-mesh/");
    ledgers.add(l);
    return l;
  }

  @Test
  void twoLedgersRacingOnEachTokenSpendItExactlyOnce() throws Exception {
    EtcdTokenLedger a = ledger();
    EtcdTokenLedger b = ledger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    long expiry = Instant.now().plusSeconds(600).getEpochSecond();
    AtomicInteger wins = new AtomicInteger();
    try {
      for (int i = 0; i < 50; i++) {
        String nonce = "nonce-" + i;
        CountDownLatch go = new CountDownLatch(1);
        var fa = pool.submit(() -> {
          go.await();
          return a.consume(nonce, expiry);
        });
        var fb = pool.submit(() -> {
          go.await();
          return b.consume(nonce, expiry);
        });
        go.countDown();
        int won = (fa.get(20, TimeUnit.SECONDS) ? 1 : 0) + (fb.get(20, TimeUnit.SECONDS) ? 1 : 0);
        assertEquals(1, won, "token " + nonce + " spent by exactly one replica");
        wins.addAndGet(won);
        assertTrue(a.isUsed(nonce) && b.isUsed(nonce));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(50, wins.get());
    // A released token (what it bought could not be recorded) can be spent again, once.
    a.release("nonce-0");
    assertTrue(b.consume("nonce-0", expiry));
    assertTrue(!a.consume("nonce-0", expiry));
  }

  /**
   * Two authority replicas (same CA and token key, each its own etcd client) each get an
   * enrollment with the same token at the same moment: one certificate is issued, the other
   * request is refused as {@code token_used}, for every one of 10 tokens.
   */
  @Test
  void twoAuthorityReplicasRacingOnOneTokenIssueOneCertificate() throws Exception {
    MeshCa ca = MeshCa.create("ha", Duration.ofDays(365), random);
    byte[] tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    EpochClock clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
    EnrollmentTokens tokensA = new EnrollmentTokens(tokenKey, ledger());
    EnrollmentTokens tokensB = new EnrollmentTokens(tokenKey, ledger());
    AuthorityVerticle.Options options = new AuthorityVerticle.Options(SocketAddress.inetSocketAddress(0, "127.0.0.1"),
        Duration.ofHours(24), false);
    AuthorityVerticle a = startAuthority(vertx, ca, tokensA, clock, options, random, Revocations.none(), null, null);
    AuthorityVerticle b = startAuthority(vertx, ca, tokensB, clock, options, random, Revocations.none(), null, null);
    for (int i = 0; i < 10; i++) {
      String node = "n" + i;
      String token = tokensA.issue(node, Duration.ofMinutes(10), Instant.now(), random);
      AuthorityClient viaA = new AuthorityClient(vertx, "127.0.0.1", a.port(), ca.certificate(), node, random);
      AuthorityClient viaB = new AuthorityClient(vertx, "127.0.0.1", b.port(), ca.certificate(), node, random);
      List<Future<NodeIdentity>> both = List.of(viaA.enroll(token), viaB.enroll(token));
      await(Future.join(both).recover(e -> Future.succeededFuture()));
      long ok = both.stream().filter(Future::succeeded).count();
      assertEquals(1, ok, "token " + i + ": exactly one replica enrolled " + node);
      Throwable refused = both.stream().filter(Future::failed).findFirst().get().cause();
      assertTrue(refused instanceof AuthorityClient.RecoveryException r && "token_used".equals(r.reason()),
          refused.toString());
      await(viaA.close());
      await(viaB.close());
    }
    long issued = a.outcomes().getOrDefault("enroll.ok", 0L) + b.outcomes().getOrDefault("enroll.ok", 0L);
    assertEquals(10, issued);
    assertEquals(10, a.outcomes().getOrDefault("enroll.token_used", 0L) + b.outcomes().getOrDefault("enroll.token_used", 0L));
  }
}
