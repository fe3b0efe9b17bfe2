package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.ca.SerialNumbers;
import io.sscmic.authority.ha.CaKeyEnvelope;
import io.sscmic.authority.ha.EtcdReplicaState;
import io.sscmic.authority.ha.EtcdSerials;
import io.sscmic.authority.ha.EtcdExtension;
import io.sscmic.authority.ha.KeyEncryptionKey;
import io.sscmic.keysyn.EpochClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 4: two authority replicas sharing their state in a real etcd (Debian's etcd-server
 * on free loopback ports), each with its own etcd client, built as {@code sscmic authority} builds
 * them with {@code etcd.endpoints} ({@link EtcdReplicaState}). The second replica has no
 * {@code ca.key}: it opens the CA key's envelope in etcd with the shared KEK file.
 */
class EtcdReplicasTest {
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  /** A short registry lease, so a node that stops renewing leaves within the test. */
  private static final io.sscmic.authority.registry.RegistrySettings REGISTRY =
      new io.sscmic.authority.registry.RegistrySettings(Duration.ofSeconds(2), Duration.ofMillis(500),
          java.util.Map.of());
  private static final AtomicInteger MESHES = new AtomicInteger();
  private final SecureRandom random = new SecureRandom();
  @TempDir
  Path dir;
  private Vertx vertx;
  private final List<EtcdReplicaState> states = new ArrayList<>();
  private String prefix;
  private Path kekFile;
  private MeshCa origin;
  private byte[] tokenKey;
  private EpochClock clock;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    prefix = "/sscmic/test-" + MESHES.incrementAndGet() + "/"; // a mesh of its own per test
    kekFile = dir.resolve("kek");
    byte[] kek = new byte[32];
    random.nextBytes(kek);
    Files.writeString(kekFile, Base64.getEncoder().encodeToString(kek) + "\n");
    Files.setPosixFilePermissions(kekFile, PosixFilePermissions.fromString("rw-------"));
    origin = MeshCa.create("ha", Duration.ofDays(365), random);
    tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
    states.forEach(EtcdReplicaState::close);
  }

  /** One replica's shared state, its own etcd client. */
  private EtcdReplicaState state() throws Exception {
    EtcdReplicaState s = EtcdReplicaState.open(List.of(etcd.endpoint()), prefix, kekFile);
    states.add(s);
    return s;
  }

  /** A replica; {@code withCaKey}: it has ca.key on its disk (the first one), or not (the others). */
  private Replica replica(String name, boolean withCaKey) throws Exception {
    EtcdReplicaState s = state();
    MeshCa ca = s.ca(origin.certificate(), withCaKey ? origin.key() : null, random, List.of());
    EnrollmentTokens tokens = s.tokens(tokenKey);
    Revocations revocations = s.revocations(dir.resolve(name + "-revoked"));
    AuthorityVerticle v = startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24), false,
        AuthorityVerticle.Options.DEFAULT_MAX_RENEWAL_AGE, REGISTRY), random, revocations, null, null,
        s.issued(dir.resolve(name + "-certificates")));
    s.shareRegistry(v.serviceRegistry(), REGISTRY.ttl());
    return new Replica(v, tokens);
  }

  private record Replica(AuthorityVerticle server, EnrollmentTokens tokens) {
  }

  private AuthorityClient client(Replica r, String node) {
    return new AuthorityClient(vertx, "127.0.0.1", r.server().port(), origin.certificate(), node, random);
  }

  /**
   * The issued-certificates record is shared: a node enrolled at A recovers and renews at B (it was
   * refused there, "no live certificate (revoked, or issued elsewhere)", before the record was in
   * etcd: the failover of deploy/local/authority-ha.sh found it); its certificate that the renewal
   * at B replaced is then refused at A, as on one authority. Both replicas' files mirror the record.
   */
  @Test
  void aNodeEnrolledAtOneReplicaRecoversAndRenewsAtTheOther() throws Exception {
    Replica a = replica("a", true);
    Replica b = replica("b", false);
    AuthorityClient atA = client(a, "c1");
    String token = a.tokens().issue("c1", Duration.ofMinutes(10), Instant.now(), random);
    NodeIdentity first = await(atA.enroll(token));
    // The same token presented to B afterwards: refused, and the message says where it went.
    AuthorityClient again = client(b, "c1");
    Exception reuse = assertThrows(Exception.class, () -> await(again.enroll(token)));
    assertTrue(String.valueOf(reuse.getMessage()).contains("token already used (spent on another authority replica)"),
        reuse.getMessage());
    await(again.close());
    long t0 = System.nanoTime();
    AuthorityClient atB = client(b, "c1").identity(first);
    long seenMillis = -1;
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); seenMillis < 0; ) {
      try {
        await(atB.recover(clock));
        seenMillis = (System.nanoTime() - t0) / 1_000_000;
      } catch (Exception e) {
        assertTrue(System.nanoTime() < deadline, "replica B never took the certificate A issued: " + e.getMessage());
        Thread.sleep(50); // polling the other replica's view, not synchronising with this thread
      }
    }
    System.out.println("EtcdReplicasTest: a certificate issued by replica A recovered at replica B after "
        + seenMillis + " ms");
    NodeIdentity renewed = await(atB.renew());
    assertTrue(!renewed.certificate().getSerialNumber().equals(first.certificate().getSerialNumber()));
    // A learns of the renewal through etcd: the replaced certificate, once the new one is used, is refused there.
    await(atB.recover(clock));
    AuthorityClient oldAtA = client(a, "c1").identity(first);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        await(oldAtA.recover(clock));
        assertTrue(System.nanoTime() < deadline, "replica A still takes the certificate B's renewal replaced");
        Thread.sleep(50);
      } catch (Exception e) {
        // What the node is told: its certificate was replaced (the renewal at B), not an error of A's.
        assertTrue(String.valueOf(e.getMessage()).contains("replaced by a newer"), e.getMessage());
        break;
      }
    }
    String line = renewed.certificate().getSerialNumber().toString(16);
    for (String name : List.of("a", "b")) {
      Path file = dir.resolve(name + "-certificates");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!(Files.exists(file) && Files.readString(file).contains(line))) {
        assertTrue(System.nanoTime() < until, name + "'s certificates file does not mirror the renewal");
        Thread.sleep(50);
      }
    }
    await(atA.close());
    await(atB.close());
    await(oldAtA.close());
  }

  /**
   * The attack: one enrollment token presented to both replicas at the same moment (a stolen copy
   * raced against the real node). Exactly one gets a certificate; the other is told why, for each
   * of 10 tokens.
   */
  @Test
  void aTokenPresentedToBothReplicasAtOnceEnrollsExactlyOnce() throws Exception {
    Replica a = replica("a", true);
    Replica b = replica("b", false);
    for (int i = 0; i < 10; i++) {
      String node = "n" + i;
      String token = a.tokens().issue(node, Duration.ofMinutes(10), Instant.now(), random);
      AuthorityClient viaA = client(a, node);
      AuthorityClient viaB = client(b, node);
      List<Future<NodeIdentity>> both = List.of(viaA.enroll(token), viaB.enroll(token));
      await(Future.join(both).recover(e -> Future.succeededFuture()));
      assertEquals(1, both.stream().filter(Future::succeeded).count(), "token " + i + ": exactly one enrollment");
      Throwable refused = both.stream().filter(Future::failed).findFirst().orElseThrow().cause();
      // What the losing node (or thief) reads:
      assertTrue(refused instanceof AuthorityClient.RecoveryException r && "token_used".equals(r.reason())
          && r.getMessage().contains("(403)") && r.getMessage().contains("token already used"), refused.toString());
      X509Certificate cert = both.stream().filter(Future::succeeded).findFirst().orElseThrow().result().certificate();
      cert.verify(origin.certificate().getPublicKey()); // either replica signs under the one CA
      await(viaA.close());
      await(viaB.close());
    }
    assertEquals(10L, a.server().outcomes().getOrDefault("enroll.ok", 0L)
        + b.server().outcomes().getOrDefault("enroll.ok", 0L));
    assertEquals(10L, a.server().outcomes().getOrDefault("enroll.token_used", 0L)
        + b.server().outcomes().getOrDefault("enroll.token_used", 0L));
  }

  /**
   * Serials: 20 nodes enrolling at once, half on each replica, get 20 distinct serials from the
   * shared counter; and two replicas' counters drawn from 4 threads at once, 200 draws, never
   * hand out one value twice.
   */
  @Test
  void twoReplicasNeverIssueTheSameSerial() throws Exception {
    Replica a = replica("a", true);
    Replica b = replica("b", false);
    List<Future<NodeIdentity>> all = new ArrayList<>();
    List<AuthorityClient> clients = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String node = "s" + i;
      Replica r = i % 2 == 0 ? a : b;
      AuthorityClient c = client(r, node);
      clients.add(c);
      all.add(c.enroll(r.tokens().issue(node, Duration.ofMinutes(10), Instant.now(), random)));
    }
    await(Future.all(all));
    Set<BigInteger> serials = new HashSet<>();
    Set<Long> counters = new HashSet<>();
    for (Future<NodeIdentity> f : all) {
      BigInteger serial = f.result().certificate().getSerialNumber();
      assertTrue(serials.add(serial), "serial issued twice: " + serial.toString(16));
      assertTrue(counters.add(SerialNumbers.counterOf(serial)), "counter value issued twice: " + serial.toString(16));
    }
    for (AuthorityClient c : clients) {
      await(c.close());
    }

    EtcdSerials one = new EtcdSerials(state().store(), random);
    EtcdSerials two = new EtcdSerials(state().store(), random);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<List<Long>>> drawn = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        EtcdSerials s = t % 2 == 0 ? one : two;
        Callable<List<Long>> draw = () -> {
          List<Long> got = new ArrayList<>();
          for (int i = 0; i < 50; i++) {
            got.add(s.nextCounter());
          }
          return got;
        };
        drawn.add(pool.submit(draw));
      }
      Set<Long> values = new HashSet<>();
      for (var f : drawn) {
        for (long v : f.get(60, TimeUnit.SECONDS)) {
          assertTrue(values.add(v), "counter value " + v + " drawn twice");
        }
      }
      assertEquals(200, values.size());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A revocation made on one replica is refused on the other: a node revoked on A can no longer
   * recover on B, and a serial revoked on B is refused on A. The figure printed is how long B took
   * to apply A's revocation (etcd watch).
   */
  @Test
  void aRevocationOnOneReplicaIsSeenByTheOther() throws Exception {
    Replica a = replica("a", true);
    Replica b = replica("b", false);
    AuthorityClient n1 = client(b, "n1");
    await(n1.enroll(a.tokens().issue("n1", Duration.ofMinutes(10), Instant.now(), random)));
    await(n1.recover(clock)); // fine on B before
    long t0 = System.nanoTime();
    assertTrue(a.server().revokeNode("n1"));
    long seenMillis = refusedWithin(n1, "revoked", t0);
    System.out.println("EtcdReplicasTest: node revoked on replica A, refused by replica B after " + seenMillis + " ms");

    AuthorityClient n2 = new AuthorityClient(vertx, "127.0.0.1", a.server().port(), origin.certificate(), "n2",
        random);
    NodeIdentity id = await(n2.enroll(b.tokens().issue("n2", Duration.ofMinutes(10), Instant.now(), random)));
    await(n2.recover(clock));
    t0 = System.nanoTime();
    b.server().revokeSerial(id.certificate().getSerialNumber());
    long serialMillis = refusedWithin(n2, "revoked", t0);
    System.out.println("EtcdReplicasTest: serial revoked on replica B, refused by replica A after " + serialMillis
        + " ms");
    // Both replicas' files mirror the shared set.
    assertTrue(Files.readString(dir.resolve("a-revoked")).contains("serial:" + id.certificate().getSerialNumber()
        .toString(16)));
    assertTrue(Files.readString(dir.resolve("b-revoked")).contains("n1"));
    await(n1.close());
    await(n2.close());
  }

  /**
   * Step 5: the registry is shared. A node registers with replica A; a sidecar watching replica B
   * sees it, sees its deregistration, and sees a registration it never renews lapse within the
   * lease (2 s here), wherever the node registered.
   */
  @Test
  void aNodeRegisteredOnOneReplicaIsSeenByAWatcherOfTheOther() throws Exception {
    Replica a = replica("a", true);
    Replica b = replica("b", false);
    AuthorityClient node = client(a, "orders-1");
    await(node.enroll(a.tokens().issue("orders-1", Duration.ofMinutes(10), Instant.now(), random)));
    AuthorityClient caller = client(b, "caller");
    await(caller.enroll(b.tokens().issue("caller", Duration.ofMinutes(10), Instant.now(), random)));
    java.util.Map<String, JsonObject> view = new java.util.concurrent.ConcurrentHashMap<>();
    var stream = await(caller.watchRegistry(null, Duration.ofSeconds(60), event -> {
      if ("snapshot".equals(event.getString("type"))) {
        view.clear();
        event.getJsonArray("entries").forEach(o -> view.put(((JsonObject) o).getString("node"), (JsonObject) o));
      } else if ("update".equals(event.getString("type"))) {
        JsonObject entry = event.getJsonObject("entry");
        if (entry == null) {
          view.remove(event.getString("node"));
        } else {
          view.put(event.getString("node"), entry);
        }
      }
    }));
    long t0 = System.nanoTime();
    await(node.register(List.of("orders"), "10.0.0.7", 7443));
    waitUntil(() -> view.containsKey("orders-1"), "B's watcher sees the node registered on A");
    long seen = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(List.of("orders"), view.get("orders-1").getJsonArray("services").getList());
    assertEquals(7443, view.get("orders-1").getInteger("port"));
    await(node.deregister());
    waitUntil(() -> !view.containsKey("orders-1"), "B's watcher sees the deregistration made on A");
    // Registered once on A and never renewed: gone from B within the 2 s lease (and B's expiry tick).
    await(node.register(List.of("orders"), "10.0.0.7", 7443));
    waitUntil(() -> view.containsKey("orders-1"), "registered again");
    long t1 = System.nanoTime();
    waitUntil(() -> !view.containsKey("orders-1"), "the lapsed registration leaves B's view");
    long lapsed = (System.nanoTime() - t1) / 1_000_000;
    assertTrue(lapsed >= 1000, "not before its lease: " + lapsed + " ms");
    System.out.println("EtcdReplicasTest: a registration on replica A reached a watcher of replica B in " + seen
        + " ms; an unrenewed one left B's view " + lapsed + " ms after it arrived (lease 2000 ms)");
    stream.close();
    await(node.close());
    await(caller.close());
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + " within 60 s");
      Thread.sleep(20);
    }
  }

  /**
   * A node re-admitted (a new token) on one replica is not revoked again by a replica whose
   * revoked file is an older copy: the shared set is the truth, a file seeds it only once (the first
   * replica of an authority that ran alone), and lines written to a file later (sscmic policy revoke
   * on that host) are added.
   */
  @Test
  void aReadmittedNodeStaysAdmittedWhateverAnotherReplicasStaleFileSays() throws Exception {
    Files.writeString(dir.resolve("a-revoked"), "old-node\n"); // the authority that ran alone revoked it
    Replica a = replica("a", true);
    EtcdReplicaState probe = state();
    assertTrue(probe.revocations(dir.resolve("probe-revoked")).all().contains("old-node"), "seeded from the first");
    assertTrue(a.server().revokeNode("x"));
    Files.writeString(dir.resolve("c-revoked"), "old-node\nx\n"); // a copy of the directory taken now
    AuthorityClient x = client(a, "x");
    await(x.enroll(a.tokens().issue("x", Duration.ofMinutes(10), Instant.now(), random))); // re-admits x
    await(x.recover(clock));
    Revocations c = state().revocations(dir.resolve("c-revoked"));
    assertTrue(!c.all().contains("x") && c.all().contains("old-node"), c.all().toString());
    assertEquals("old-node\n", Files.readString(dir.resolve("c-revoked")), "the stale file is rewritten");
    await(x.recover(clock)); // still admitted on A
    // A line an operator adds to C's file (sscmic policy revoke on that host) joins the shared set.
    Files.writeString(dir.resolve("c-revoked"), "old-node\nlate\n");
    assertEquals(Set.of("late"), c.reload());
    assertTrue(probe.revocations(dir.resolve("probe-revoked")).all().contains("late"));
    await(x.close());
  }

  /** Asks until the authority refuses with {@code reason} (at most 30 s); the time since {@code t0}. */
  private long refusedWithin(AuthorityClient c, String reason, long t0) throws Exception {
    long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Future<?> f = c.recover(clock);
      await(f.recover(e -> Future.succeededFuture()));
      if (f.failed() && f.cause() instanceof AuthorityClient.RecoveryException r && reason.equals(r.reason())) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      assertTrue(System.nanoTime() < deadline, "not refused with " + reason + " within 30 s: "
          + (f.failed() ? f.cause() : "recovered"));
      Thread.sleep(20);
    }
  }

  /**
   * The CA key in etcd: the stored value is a small versioned envelope that contains neither the
   * key's bytes nor their base64 (the attack: read etcd, or a backup of it); a replica with the
   * same KEK and no ca.key signs certificates that verify under the mesh CA.
   */
  @Test
  void theCaKeyInEtcdIsAnEnvelopeAndAReplicaWithTheKekSignsUnderTheSameCa() throws Exception {
    replica("a", true);
    byte[] stored;
    try (Client reader = Client.builder().endpoints(etcd.endpoint()).build()) {
      var got = reader.getKVClient().get(ByteSequence.from(prefix + EtcdReplicaState.CA_KEY, StandardCharsets.UTF_8))
          .get(30, TimeUnit.SECONDS);
      assertEquals(1, got.getCount(), "the CA key is in etcd");
      stored = got.getKvs().get(0).getValue().getBytes();
    }
    byte[] raw = origin.key().getEncoded();
    assertTrue(indexOf(stored, raw) < 0, "the PKCS#8 bytes of the CA key are not in etcd");
    String text = new String(stored, StandardCharsets.UTF_8);
    assertTrue(!text.contains(Base64.getEncoder().encodeToString(raw)) && !text.contains("PRIVATE KEY"), text);
    JsonObject envelope = new JsonObject(text);
    assertEquals(CaKeyEnvelope.VERSION, envelope.getInteger("v"));
    assertEquals("AES-256-GCM", envelope.getString("alg"));
    assertEquals(KeyEncryptionKey.read(kekFile).id(), envelope.getString("kek"));
    assertTrue(stored.length < 1024, "a small envelope: " + stored.length + " bytes");

    Replica b = replica("b", false); // no ca.key on its disk
    AuthorityClient c = client(b, "m1");
    NodeIdentity id = await(c.enroll(b.tokens().issue("m1", Duration.ofMinutes(10), Instant.now(), random)));
    id.certificate().verify(origin.certificate().getPublicKey());
    assertEquals(origin.certificate().getSubjectX500Principal(), id.certificate().getIssuerX500Principal());
    await(c.close());
  }

  /**
   * What an operator sees when a replica lacks the KEK (it does not start), has another KEK, or
   * when etcd holds no CA key yet and the replica has none either.
   */
  @Test
  void aReplicaWithoutTheKekOrWithAnotherRefusesToStart() throws Exception {
    KeyEncryptionKey.InvalidKek missing = assertThrows(KeyEncryptionKey.InvalidKek.class,
        () -> EtcdReplicaState.open(List.of(etcd.endpoint()), prefix, dir.resolve("no-such-kek")));
    assertTrue(missing.getMessage().startsWith("cannot read the key-encryption key " + dir.resolve("no-such-kek")),
        missing.getMessage());
    KeyEncryptionKey.InvalidKek none = assertThrows(KeyEncryptionKey.InvalidKek.class,
        () -> EtcdReplicaState.open(List.of(etcd.endpoint()), prefix, (Path) null));
    assertTrue(none.getMessage().startsWith("etcd.kek-file is required with etcd.endpoints"), none.getMessage());

    CaKeyEnvelope.Unopenable nothing = assertThrows(CaKeyEnvelope.Unopenable.class,
        () -> state().ca(origin.certificate(), null, random, List.of()));
    assertTrue(nothing.getMessage().startsWith("no CA key in etcd"), nothing.getMessage());

    replica("a", true);
    byte[] other = new byte[32];
    random.nextBytes(other);
    EtcdReplicaState wrong = EtcdReplicaState.open(List.of(etcd.endpoint()), prefix, KeyEncryptionKey.of(other));
    states.add(wrong);
    CaKeyEnvelope.Unopenable refused = assertThrows(CaKeyEnvelope.Unopenable.class,
        () -> wrong.ca(origin.certificate(), null, random, List.of()));
    assertTrue(refused.getMessage().contains("was sealed under KEK " + KeyEncryptionKey.read(kekFile).id()),
        refused.getMessage());

    Files.setPosixFilePermissions(kekFile, PosixFilePermissions.fromString("rw-r--r--"));
    KeyEncryptionKey.InvalidKek open = assertThrows(KeyEncryptionKey.InvalidKek.class, () -> KeyEncryptionKey.read(kekFile));
    assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
    assertNotNull(KeyEncryptionKey.of(other).id());
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
