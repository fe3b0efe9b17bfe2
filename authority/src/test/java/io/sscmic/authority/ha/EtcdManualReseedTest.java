package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A re-seed made by hand ({@code sscmic reseed}, the dashboard's action) on one replica's host is
 * shared through etcd (issue 17 item 4): before, it went to that replica's chain file only, and the
 * replicas announced different key chains after it took effect. Two replicas on a real etcd, no
 * scheduled re-seed (no leadership): B learns A's re-seed, the very same anchor; a second write
 * at the epoch is refused; a replica starting later reads it.
 */
class EtcdManualReseedTest {
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  private final SecureRandom random = new SecureRandom();
  private final List<EtcdReplicaState> states = new ArrayList<>();
  private final EpochClock clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(1));

  @AfterEach
  void close() {
    states.forEach(EtcdReplicaState::close);
  }

  private EtcdReplicaState replica(KeyEncryptionKey kek) throws Exception {
    EtcdReplicaState s = EtcdReplicaState.open(List.of(etcd.endpoint()), "/sscmic/manual-reseed/", kek);
    states.add(s);
    return s;
  }

  @Test
  void aReseedMadeOnOneReplicasHostReachesTheOther() throws Exception {
    byte[] k = new byte[32];
    random.nextBytes(k);
    KeyEncryptionKey kek = KeyEncryptionKey.of(k);
    EtcdReplicaState a = replica(kek);
    EtcdReplicaState b = replica(kek);
    Map<Long, ChainAnchor> learnedByB = new ConcurrentHashMap<>();
    b.watchReseeds(clock, an -> learnedByB.put(an.epoch(), an));

    ChainAnchor reseed = ChainAnchor.random(clock.currentEpoch() + 120, random);
    long t0 = System.nanoTime();
    assertTrue(a.publishReseed(reseed));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!learnedByB.containsKey(reseed.epoch())) {
      assertTrue(System.nanoTime() < deadline, "replica B never learned the re-seed made on A's host");
      Thread.sleep(20); // polling what B's watch delivered on its own thread
    }
    System.out.println("EtcdManualReseedTest: a re-seed written on replica A reached replica B in "
        + (System.nanoTime() - t0) / 1_000_000 + " ms");
    assertArrayEquals(reseed.key(), learnedByB.get(reseed.epoch()).key(), "the same chain on both replicas");

    // The same epoch again (the chain file read twice, or another host's re-seed for that epoch): refused.
    assertFalse(a.publishReseed(ChainAnchor.random(reseed.epoch(), random)));
    // A replica that starts later adds it to its chain at start.
    List<ChainAnchor> atStart = replica(kek).reseeds(clock);
    assertEquals(1, atStart.size());
    assertArrayEquals(reseed.key(), atStart.get(0).key());
  }
}
