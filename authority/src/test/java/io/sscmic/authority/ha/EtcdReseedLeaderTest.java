package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 4: the scheduled re-seed is a singleton duty of the authority replicas, under
 * etcd's leader election with a fencing check. Two replicas on a real etcd: only the leader
 * writes re-seeds, both see every one; the leader killed (its etcd client gone, its lease left to
 * expire, as when its process dies), the other takes over and goes on; a deposed leader's write
 * is refused by the fence.
 */
class EtcdReseedLeaderTest {
  private static final Duration TTL = Duration.ofSeconds(2);
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  private static final AtomicInteger MESHES = new AtomicInteger();
  private final SecureRandom random = new SecureRandom();
  private final List<AutoCloseable> open = new ArrayList<>();
  private String prefix;
  private KeyEncryptionKey kek;
  /** 100 ms epochs: re-seeds every second, each scheduled 3 epochs ahead. */
  private final EpochClock clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofMillis(100));

  @BeforeEach
  void setUp() {
    prefix = "/sscmic/reseed-" + MESHES.incrementAndGet() + "/";
    byte[] k = new byte[32];
    random.nextBytes(k);
    kek = KeyEncryptionKey.of(k);
  }

  @AfterEach
  void tearDown() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // already closed (the killed replica)
      }
    }
  }

  /** One replica: its etcd client, its campaign, its re-seed duty; the anchors it learns. */
  private final class Replica {
    final EtcdStore store = new EtcdStore(List.of(etcd.endpoint()), prefix);
    final EtcdLeadership leadership;
    final EtcdReseeds reseeds;
    final Map<Long, ChainAnchor> learned = new ConcurrentHashMap<>();

    Replica(String name) {
      open.add(store);
      leadership = new EtcdLeadership(store, "reseed", name, TTL);
      open.add(leadership);
      reseeds = new EtcdReseeds(store, kek, leadership, clock, Duration.ofSeconds(1), Duration.ZERO, random,
          a -> learned.put(a.epoch(), a));
      open.add(reseeds);
    }

    Replica start() {
      leadership.start();
      reseeds.start(Duration.ofMillis(100));
      return this;
    }

    /** As when its process dies: no more checks, its etcd client gone, its lease not revoked. */
    void kill() {
      reseeds.close();
      store.close();
      leadership.close(); // its revoke cannot reach etcd any more: the lease ends with its TTL
    }
  }

  private static long waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + " within 60 s");
      Thread.sleep(20);
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void onlyTheLeaderReseedsAndKillingItHandsTheDutyToTheOther() throws Exception {
    Replica a = new Replica("a").start();
    Replica b = new Replica("b").start();
    waitFor(() -> a.leadership.isLeader() || b.leadership.isLeader(), "a leader");
    Replica leader = a.leadership.isLeader() ? a : b;
    Replica other = leader == a ? b : a;
    waitFor(() -> leader.reseeds.performed() >= 3, "three re-seeds by the leader");
    assertFalse(other.leadership.isLeader(), "one leader at a time");
    assertEquals(0, other.reseeds.performed(), "the other replica wrote no re-seed");
    // Both replicas learn every re-seed in etcd, the same keys.
    List<ChainAnchor> inEtcd = leader.reseeds.anchors();
    assertTrue(inEtcd.size() >= 3, inEtcd.toString());
    waitFor(() -> inEtcd.stream().allMatch(x -> other.learned.containsKey(x.epoch())
        && leader.learned.containsKey(x.epoch())), "both replicas learn every re-seed");
    for (ChainAnchor x : inEtcd) {
      assertTrue(java.util.Arrays.equals(x.key(), other.learned.get(x.epoch()).key()), "the same chain key");
    }
    for (int i = 1; i < inEtcd.size(); i++) {
      assertTrue(clock.startOf(inEtcd.get(i).epoch()) - clock.startOf(inEtcd.get(i - 1).epoch()) >= 1000,
          "one re-seed per period, never two at once: " + inEtcd);
    }

    int before = leader.reseeds.performed();
    leader.kill();
    long takeover = waitFor(() -> other.leadership.isLeader(), "the other replica leads");
    long firstReseed = waitFor(() -> other.reseeds.performed() >= 1, "a re-seed by the new leader");
    System.out.println("EtcdReseedLeaderTest: leader killed; the other replica led after " + takeover
        + " ms (lease TTL " + TTL.toMillis() + " ms) and wrote its first re-seed " + firstReseed + " ms later; the "
        + "old leader had written " + before);
    List<ChainAnchor> after = other.reseeds.anchors();
    assertTrue(after.size() > inEtcd.size(), "re-seeds go on after the handover");
  }

  @Test
  void aDeposedLeadersWriteIsRefusedByTheFence() throws Exception {
    Replica a = new Replica("a");
    a.leadership.start();
    waitFor(a.leadership::isLeader, "a leads");
    Replica b = new Replica("b");
    b.leadership.start();
    // a is paused past its lease (here: the lease revoked from outside); b wins meanwhile.
    long lease = a.leadership.lease();
    try (Client outside = Client.builder().endpoints(etcd.endpoint()).build()) {
      outside.getLeaseClient().revoke(lease).get(30, TimeUnit.SECONDS);
      waitFor(b.leadership::isLeader, "b leads once a's key is gone");
      ByteSequence late = ByteSequence.from(prefix + "chain/late", StandardCharsets.UTF_8);
      assertFalse(a.leadership.commitFenced(Op.put(late, ByteSequence.from("x", StandardCharsets.UTF_8),
          PutOption.DEFAULT)), "the deposed leader's write is refused");
      assertEquals(0, outside.getKVClient().get(late).get(30, TimeUnit.SECONDS).getCount(), "and not applied");
      assertFalse(a.leadership.isLeader(), "it knows it no longer leads");
      ByteSequence ok = ByteSequence.from(prefix + "fenced-ok", StandardCharsets.UTF_8);
      assertTrue(b.leadership.commitFenced(Op.put(ok, ByteSequence.from("y", StandardCharsets.UTF_8),
          PutOption.DEFAULT)), "the new leader's write goes through");
      assertEquals(1, outside.getKVClient().get(ok).get(30, TimeUnit.SECONDS).getCount());
    }
  }
}
