package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.ha.EtcdCluster;
import io.sscmic.authority.ha.EtcdReplicaState;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.RetryBackoff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 5: three etcd members and three authority replicas on loopback, and a burst of
 * nodes (half enrolling with a token, half restarting and recovering their key state) during which
 * the etcd leader member is killed (SIGKILL), or one authority replica is. Each simulated node
 * behaves as a real one: it lists the three replicas (each node starting at another one, so the
 * burst spreads), fails over inside a request as {@link AuthorityClient} does, and retries every
 * failure with {@link RetryBackoff} as {@code KeySynVerticle} does. Asserted: no token buys two
 * certificates (nor is lost to its own node), every node gets its certificate and key state within
 * its retry budget. Printed: counts, failures seen on the way by kind, and the time to success.
 * Each replica has its own Vert.x (killing one closes it: its connections drop) and etcd client.
 */
class EtcdClusterFailoverTest {
  /** Nodes per kind (enrolling, recovering) in a burst. */
  private static final int NODES = 18;
  /** Node {@code i} starts {@code i * STAGGER} after the burst begins, so the burst outlasts the kill. */
  private static final Duration STAGGER = Duration.ofMillis(80);
  /** When the member or replica dies, after the burst begins. */
  private static final Duration KILL_AT = Duration.ofMillis(700);
  /** How long a node keeps retrying before the test counts it as failed (a real node never stops). */
  private static final Duration BUDGET = Duration.ofSeconds(60);
  private static final RegistrySettings REGISTRY = new RegistrySettings(Duration.ofSeconds(10),
      Duration.ofSeconds(1), Map.of());
  private static final AtomicInteger MESHES = new AtomicInteger();

  @TempDir
  Path dir;
  private final SecureRandom random = new SecureRandom();
  private EtcdCluster etcd;
  private Vertx nodes;
  private final List<Replica> replicas = new ArrayList<>();
  private final Set<String> killed = ConcurrentHashMap.newKeySet();
  private String prefix;
  private Path kekFile;
  private MeshCa origin;
  private byte[] tokenKey;
  private EpochClock clock;

  /** One authority replica: its own Vert.x (closed to kill it), etcd client and server. */
  private record Replica(String name, Vertx vertx, EtcdReplicaState state, AuthorityVerticle server,
                         EnrollmentTokens tokens) {
    AuthorityClient.Address address() {
      return new AuthorityClient.Address("127.0.0.1", server.port());
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    etcd = EtcdCluster.start(dir.resolve("etcd"), 3);
    nodes = Vertx.vertx();
    prefix = "/sscmic/cluster-" + MESHES.incrementAndGet() + "/";
    kekFile = dir.resolve("kek");
    byte[] kek = new byte[32];
    random.nextBytes(kek);
    Files.writeString(kekFile, Base64.getEncoder().encodeToString(kek) + "\n");
    Files.setPosixFilePermissions(kekFile, PosixFilePermissions.fromString("rw-------"));
    origin = MeshCa.create("ha3", Duration.ofDays(365), random);
    tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
    for (int i = 0; i < 3; i++) {
      replicas.add(replica("r" + i, i == 0));
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (nodes != null) {
      await(nodes.close());
    }
    for (Replica r : replicas) {
      kill(r);
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  private Replica replica(String name, boolean withCaKey) throws Exception {
    // Every replica lists every member, as etcd.endpoints does in the HA deployment.
    EtcdReplicaState s = EtcdReplicaState.open(etcd.endpoints(), prefix, kekFile);
    Vertx v = Vertx.vertx();
    MeshCa ca = s.ca(origin.certificate(), withCaKey ? origin.key() : null, random, List.of());
    EnrollmentTokens tokens = s.tokens(tokenKey);
    Revocations revocations = s.revocations(dir.resolve(name + "-revoked"));
    AuthorityVerticle server = startAuthority(v, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24), false,
        AuthorityVerticle.Options.DEFAULT_MAX_RENEWAL_AGE, REGISTRY), random, revocations, null, null,
        s.issued(dir.resolve(name + "-certificates")));
    s.shareRegistry(server.serviceRegistry(), REGISTRY.ttl());
    return new Replica(name, v, s, server, tokens);
  }

  /** Kills a replica: its server and connections go (Vert.x closed), its etcd client too. */
  private void kill(Replica r) throws Exception {
    if (!killed.add(r.name())) {
      return;
    }
    try {
      await(r.vertx().close());
    } finally {
      r.state().close();
    }
  }

  /** The replicas' addresses, starting at replica {@code first}: how node {@code first} lists them. */
  private List<AuthorityClient.Address> addresses(int first) {
    List<AuthorityClient.Address> all = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      all.add(replicas.get((first + i) % replicas.size()).address());
    }
    return all;
  }

  /** What one simulated node went through. */
  private record Outcome(String node, boolean enrolling, boolean ready, long millis, int attempts,
                         List<String> failures, NodeIdentity identity) {
  }

  /**
   * One node: waits for its start, then enrolls (when it has a token) and recovers its key state,
   * retrying every failure with the node's back-off until it succeeds or {@link #BUDGET} runs out.
   */
  private Outcome runNode(String node, int index, String token, NodeIdentity stored, long burstStart)
      throws InterruptedException {
    long start = burstStart + index * STAGGER.toNanos();
    long wait = start - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
    AuthorityClient client = new AuthorityClient(nodes, addresses(index % 3), List.of(origin.certificate()), node,
        random);
    if (stored != null) {
      client.identity(stored);
    }
    List<String> failures = new ArrayList<>();
    long backoff = RetryBackoff.FIRST_MILLIS;
    int attempts = 0;
    try {
      while (true) {
        attempts++;
        try {
          if (client.identity() == null) {
            await(client.enroll(token));
          }
          await(client.recover(clock));
          return new Outcome(node, token != null, true, (System.nanoTime() - start) / 1_000_000, attempts, failures,
              client.identity());
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
          failures.add(kind(cause));
          if (System.nanoTime() - start > BUDGET.toNanos()) {
            return new Outcome(node, token != null, false, (System.nanoTime() - start) / 1_000_000, attempts, failures,
                client.identity());
          }
          Thread.sleep(RetryBackoff.jittered(backoff));
          backoff = RetryBackoff.next(backoff);
        }
      }
    } finally {
      try {
        await(client.close());
      } catch (Exception e) {
        // closing a client of a dead replica: nothing to keep
      }
    }
  }

  /** A failure by kind, for the printed tally: the authority's refusal code, or what failed. */
  private static String kind(Throwable e) {
    if (e instanceof AuthorityClient.AuthorityUnavailable u) {
      return "5xx:" + u.reason();
    }
    if (e instanceof AuthorityClient.RecoveryException r) {
      return "4xx:" + r.reason();
    }
    return e.getClass().getSimpleName();
  }

  /** The burst: NODES enrolling (fresh tokens) and NODES recovering (enrolled before), all concurrent. */
  private List<Outcome> burst(Runnable killer) throws Exception {
    Map<String, String> tokens = new TreeMap<>();
    for (int i = 0; i < NODES; i++) {
      String node = "new-" + i;
      tokens.put(node, replicas.get(i % 3).tokens().issue(node, Duration.ofMinutes(10), Instant.now(), random));
    }
    Map<String, NodeIdentity> enrolled = new TreeMap<>();
    for (int i = 0; i < NODES; i++) {
      String node = "old-" + i;
      Replica r = replicas.get(i % 3);
      AuthorityClient c = new AuthorityClient(nodes, List.of(r.address()), List.of(origin.certificate()), node,
          random);
      enrolled.put(node, await(c.enroll(r.tokens().issue(node, Duration.ofMinutes(10), Instant.now(), random))));
      await(c.close());
    }
    long before = okEnrollments();
    ExecutorService pool = Executors.newFixedThreadPool(2 * NODES);
    List<java.util.concurrent.Future<Outcome>> running = new ArrayList<>();
    long burstStart = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    try {
      for (int i = 0; i < NODES; i++) {
        String fresh = "new-" + i;
        String old = "old-" + i;
        // Interleaved: an enrolling and a recovering node start at each step.
        int step = i;
        running.add(pool.submit(() -> runNode(fresh, 2 * step, tokens.get(fresh), null, burstStart)));
        running.add(pool.submit(() -> runNode(old, 2 * step + 1, null, enrolled.get(old), burstStart)));
      }
      TimeUnit.NANOSECONDS.sleep(burstStart + KILL_AT.toNanos() - System.nanoTime());
      killer.run();
      List<Outcome> outcomes = new ArrayList<>();
      for (var f : running) {
        outcomes.add(f.get(BUDGET.toSeconds() + 120, TimeUnit.SECONDS));
      }
      checkTokensSpentOnce(tokens, outcomes, before);
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }

  private long okEnrollments() {
    return replicas.stream().mapToLong(r -> r.server().outcomes().getOrDefault("enroll.ok", 0L)).sum();
  }

  /**
   * Every node ready within its budget; each token bought exactly one certificate (the replicas'
   * enroll.ok, and etcd's spent-token keys), a certificate of its own node; every final
   * certificate a distinct serial; and each token, presented again with a fresh key at every live
   * replica, refused as used.
   */
  private void checkTokensSpentOnce(Map<String, String> tokens, List<Outcome> outcomes, long before)
      throws Exception {
    List<String> notReady = outcomes.stream().filter(o -> !o.ready())
        .map(o -> o.node() + " after " + o.attempts() + " attempts: " + o.failures()).toList();
    assertTrue(notReady.isEmpty(), "nodes without key state after " + BUDGET.toSeconds() + " s: " + notReady);
    assertEquals(NODES, okEnrollments() - before, "one certificate per token across the replicas");
    try (Client reader = Client.builder().endpoints(etcd.members().stream().filter(EtcdCluster.Member::alive)
        .map(EtcdCluster.Member::endpoint).toArray(String[]::new)).build()) {
      long spent = reader.getKVClient().get(ByteSequence.from(prefix + "tokens/used/", StandardCharsets.UTF_8),
          GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(30, TimeUnit.SECONDS).getCount();
      assertEquals(NODES * 2L, spent, "every token of the burst and of the set-up spent once in etcd");
    }
    Set<BigInteger> serials = new HashSet<>();
    for (Outcome o : outcomes) {
      assertTrue(serials.add(o.identity().certificate().getSerialNumber()), "serial twice: " + o.node());
    }
    for (var e : tokens.entrySet()) {
      for (Replica r : replicas) {
        if (!killed.contains(r.name())) {
          AuthorityClient thief = new AuthorityClient(nodes, List.of(r.address()), List.of(origin.certificate()),
              e.getKey(), random);
          Throwable refused = AuthorityClientTest.failure(thief.enroll(e.getValue()));
          assertTrue(refused instanceof AuthorityClient.RecoveryException x && "token_used".equals(x.reason()),
              e.getKey() + "'s token again at " + r.name() + ": " + refused);
          await(thief.close());
        }
      }
    }
  }

  /** The figures a run prints: counts, failures on the way by kind, time to success. */
  private static String report(List<Outcome> outcomes) {
    Map<String, Integer> failures = new TreeMap<>();
    outcomes.forEach(o -> o.failures().forEach(f -> failures.merge(f, 1, Integer::sum)));
    long retried = outcomes.stream().filter(o -> o.attempts() > 1).count();
    List<Long> times = outcomes.stream().map(Outcome::millis).sorted().toList();
    Outcome slowest = outcomes.stream().max(java.util.Comparator.comparingLong(Outcome::millis)).orElseThrow();
    long enrolled = outcomes.stream().filter(Outcome::enrolling).count();
    return (enrolled + " enrollments + " + (outcomes.size() - enrolled) + " recoveries, all ready; " + retried
        + " nodes needed more than one attempt; failures on the way " + failures + "; time to key state: median "
        + times.get(times.size() / 2) + " ms, max " + slowest.millis() + " ms (" + slowest.node() + ", "
        + slowest.attempts() + " attempts)");
  }

  @Test
  void theEtcdLeaderKilledDuringABurstLosesNoTokenAndNoNode() throws Exception {
    int leader = etcd.awaitLeaderAmong(Duration.ofSeconds(60));
    long[] elected = new long[1];
    List<Outcome> outcomes = burst(() -> {
      try {
        long t0 = System.nanoTime();
        etcd.kill(leader);
        int next = etcd.awaitLeaderAmong(Duration.ofSeconds(60));
        elected[0] = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(next != leader);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    System.out.println("EtcdClusterFailoverTest: etcd leader " + etcd.members().get(leader).name() + " killed "
        + KILL_AT.toMillis() + " ms into the burst, a new leader after " + elected[0] + " ms; " + report(outcomes));
  }

  @Test
  void anAuthorityReplicaKilledDuringABurstLosesNoTokenAndNoNode() throws Exception {
    List<Outcome> outcomes = burst(() -> {
      try {
        kill(replicas.get(0));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    System.out.println("EtcdClusterFailoverTest: authority replica r0 killed " + KILL_AT.toMillis()
        + " ms into the burst; " + report(outcomes));
  }
}
