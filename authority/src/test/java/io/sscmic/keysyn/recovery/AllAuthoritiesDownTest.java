package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.SEED;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ha.EtcdExtension;
import io.sscmic.authority.ha.EtcdReplicaState;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.RetryBackoff;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 5: "restart a node while every authority is down: it recovers as soon as one
 * replica is back (within 2 s; today 32 s)". Three authority replicas on etcd, a method-2 node
 * (its key state comes only from the authority) built as a node builds it ({@link AuthorityRecovery}
 * under {@link KeySynVerticle}, the three replica URLs in its settings), enrolled once. Then, in
 * rounds: every replica killed, the node restarted (it is not ready: no key state), the outage
 * held for a while, one replica started again on its old port; measured: the time from that
 * replica listening to the node ready. The node's retry back-off ({@link RetryBackoff}) bounds the
 * wait; the rest is one recovery request to a replica that has just started.
 */
class AllAuthoritiesDownTest {
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  /** The outages, one per round; the last is the one an operator reported (32 s: ready 32 s after). */
  private static final List<Duration> OUTAGES = List.of(Duration.ofSeconds(3), Duration.ofSeconds(6),
      Duration.ofSeconds(10), Duration.ofSeconds(32));
  @TempDir
  Path dir;
  private final SecureRandom random = new SecureRandom();
  private Vertx nodeVertx;
  private final Map<Integer, Replica> live = new java.util.HashMap<>();
  private final int[] ports = new int[3];
  private Path kekFile;
  private MeshCa origin;
  private byte[] tokenKey;
  private EpochClock clock;
  private String prefix;

  private record Replica(Vertx vertx, EtcdReplicaState state, AuthorityVerticle server,
                         io.sscmic.authority.EnrollmentTokens tokens) {
  }

  @BeforeEach
  void setUp() throws Exception {
    nodeVertx = Vertx.vertx();
    prefix = "/sscmic/all-down-" + System.nanoTime() + "/";
    kekFile = dir.resolve("kek");
    byte[] kek = new byte[32];
    random.nextBytes(kek);
    Files.writeString(kekFile, Base64.getEncoder().encodeToString(kek) + "\n");
    Files.setPosixFilePermissions(kekFile, PosixFilePermissions.fromString("rw-------"));
    origin = MeshCa.create("down", Duration.ofDays(365), random);
    tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(nodeVertx.close());
    for (int i : new ArrayList<>(live.keySet())) {
      kill(i);
    }
  }

  /** Starts replica {@code i}: on a free port the first time, on the same port afterwards (the node's config names it). */
  private Replica start(int i) throws Exception {
    EtcdReplicaState s = EtcdReplicaState.open(List.of(etcd.endpoint()), prefix, kekFile);
    Vertx v = Vertx.vertx();
    try {
      MeshCa ca = s.ca(origin.certificate(), i == 0 ? origin.key() : null, random, List.of());
      io.sscmic.authority.EnrollmentTokens tokens = s.tokens(tokenKey);
      AuthorityVerticle server = startAuthority(v, ca, tokens, clock, new AuthorityVerticle.Options(
          SocketAddress.inetSocketAddress(ports[i], "127.0.0.1"), Duration.ofHours(24), false,
          AuthorityVerticle.Options.DEFAULT_MAX_RENEWAL_AGE, RegistrySettings.DEFAULTS), random,
          s.revocations(dir.resolve("r" + i + "-revoked")), null, null, s.issued(dir.resolve("r" + i + "-certs")));
      ports[i] = server.port();
      Replica r = new Replica(v, s, server, tokens);
      live.put(i, r);
      return r;
    } catch (Exception e) {
      await(v.close());
      s.close();
      throw e;
    }
  }

  /** Kills replica {@code i}: its Vert.x closed (listener and connections gone), its etcd client closed. */
  private void kill(int i) throws Exception {
    Replica r = live.remove(i);
    try {
      await(r.vertx().close());
    } finally {
      r.state().close();
    }
  }

  private AuthorityRecovery.Settings settings(TokenSource token) throws Exception {
    Path caFile = dir.resolve("ca.crt");
    if (!Files.exists(caFile)) {
      Pem.write(caFile, Pem.encode(origin.certificate()), false);
    }
    return new AuthorityRecovery.Settings("127.0.0.1", ports[0], caFile, dir.resolve("state"), token,
        AuthorityRecovery.Method.SEALED_STATE, Duration.ofHours(1),
        List.of(new AuthorityClient.Address("127.0.0.1", ports[1]), new AuthorityClient.Address("127.0.0.1", ports[2])));
  }

  /** A node start: its key schedule verticle; the future completes when it is ready. */
  private Future<String> startNode(AuthorityRecovery.Settings settings, KeySchedule schedule) {
    AuthorityRecovery recovery = new AuthorityRecovery("n1", settings, clock, null, random,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    return nodeVertx.deployVerticle(new KeySynVerticle("n1", clock, schedule, recovery));
  }

  @Test
  void aNodeRestartedWhileEveryReplicaIsDownIsReadySoonAfterOneReturns() throws Exception {
    for (int i = 0; i < 3; i++) {
      start(i);
    }
    // Enrolled once, with every replica up.
    String token = live.get(0).tokens().issue("n1", Duration.ofMinutes(10), Instant.now(), random);
    String first = await(startNode(settings(TokenSource.memory(token)), new KeySchedule()));
    await(nodeVertx.undeploy(first));

    List<Long> readyAfter = new ArrayList<>();
    StringBuilder rounds = new StringBuilder();
    for (int round = 0; round < OUTAGES.size(); round++) {
      for (int i : new ArrayList<>(live.keySet())) {
        kill(i);
      }
      KeySchedule schedule = new KeySchedule();
      long[] readyAt = {0};
      Future<String> node = startNode(settings(TokenSource.none()), schedule)
          .onSuccess(id -> readyAt[0] = System.nanoTime());
      Thread.sleep(OUTAGES.get(round).toMillis());
      assertFalse(node.isComplete(), "round " + round + ": no node is ready while every authority is down");
      int back = round % 3; // a different replica returns each round
      start(back);
      long returned = System.nanoTime();
      String id = node.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      long millis = (readyAt[0] - returned) / 1_000_000;
      readyAfter.add(millis);
      rounds.append(rounds.isEmpty() ? "" : ", ").append(OUTAGES.get(round).toSeconds()).append(" s down, r")
          .append(back).append(" back: ready ").append(millis).append(" ms after");
      long epoch = schedule.current().epoch();
      assertArrayEquals(ChainAnchor.genesis(SEED).stateAt(epoch).chainKey(KeyRole.CURRENT),
          schedule.current().chainKey(KeyRole.CURRENT), "the mesh's key state, from the replica that returned");
      await(nodeVertx.undeploy(id));
    }
    long longest = readyAfter.stream().mapToLong(Long::longValue).max().orElseThrow();
    System.out.println("AllAuthoritiesDownTest: every replica down, node restarted, one replica back: " + rounds
        + "; longest " + longest + " ms (target 2000 ms; the back-off waits at most "
        + RetryBackoff.CAP_MILLIS + " ms)");
    // The back-off bounds the wait; the recovery request to a replica that has just started (JIT cold,
    // on 2 shared cores) is the rest. A generous bound here, the figure in the output and BENCHMARKS.md.
    assertTrue(longest < 10_000, "ready " + longest + " ms after a replica returned: " + rounds);
  }
}
