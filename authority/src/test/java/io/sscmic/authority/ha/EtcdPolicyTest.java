package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.sscmic.authority.policy.MeshPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh policy is shared by the authority replicas (issue 17 item 4): an edit made with
 * {@code sscmic policy} on one replica's host reaches every replica's {@code policy.json} (before,
 * each replica sent its own file's policy: nodes got different policies depending on which replica
 * they watched). Two replicas, each its directory and its own etcd client, on a real etcd.
 */
class EtcdPolicyTest {
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  @TempDir
  Path dir;
  private static final AtomicInteger MESHES = new AtomicInteger();
  private final List<EtcdStore> stores = new ArrayList<>();

  @AfterEach
  void closeClients() {
    stores.forEach(EtcdStore::close);
  }

  /** One replica: its directory's policy file and its etcd client. */
  private record Replica(Path file, EtcdPolicy policy) {
  }

  private Replica replica(String prefix, String name) throws Exception {
    EtcdStore store = new EtcdStore(List.of(etcd.endpoint()), prefix);
    stores.add(store);
    Path d = Files.createDirectories(dir.resolve(name));
    return new Replica(d.resolve(MeshPolicy.FILE), new EtcdPolicy(store));
  }

  private static String prefix() {
    return "/sscmic/policy-" + MESHES.incrementAndGet() + "/";
  }

  @Test
  void anEditOnEitherReplicaReachesTheOther() throws Exception {
    String prefix = prefix();
    Replica a = replica(prefix, "a");
    Replica b = replica(prefix, "b");
    // No policy anywhere: the default, and no file written.
    assertEquals(MeshPolicy.DEFAULT, a.policy().reconcile(a.file()));
    assertFalse(Files.exists(a.file()));

    MeshPolicy.edit(a.file(), p -> p.allow("orders", List.of("web-1")));
    assertEquals(1, a.policy().reconcile(a.file()).version());
    MeshPolicy atB = b.policy().reconcile(b.file());
    assertEquals(MeshPolicy.load(a.file()), atB);
    assertEquals(atB, MeshPolicy.load(b.file()), "B's file now holds A's edit");

    MeshPolicy.edit(b.file(), p -> p.deny("orders", List.of("batch")));
    b.policy().reconcile(b.file());
    MeshPolicy atA = a.policy().reconcile(a.file());
    assertEquals(2, atA.version());
    assertEquals(MeshPolicy.load(b.file()), MeshPolicy.load(a.file()), "A's file now holds B's edit on top of its own");
  }

  /**
   * Two operators edit at once on two hosts, both to version 1: the edit that reaches etcd first
   * wins everywhere; the other host's file is replaced (and the lost edit logged), so the replicas
   * never send the nodes two policies under one version.
   */
  @Test
  void twoEditsToTheSameVersionEndWithTheFirstStoredOnBothReplicas() throws Exception {
    String prefix = prefix();
    Replica a = replica(prefix, "a");
    Replica b = replica(prefix, "b");
    MeshPolicy.edit(a.file(), p -> p.allow("orders", List.of("web-1")));
    MeshPolicy.edit(b.file(), p -> p.allow("billing", List.of("web-2")));
    MeshPolicy first = a.policy().reconcile(a.file());
    assertEquals(first, b.policy().reconcile(b.file()));
    assertEquals(first, MeshPolicy.load(b.file()));
    assertEquals(first, MeshPolicy.load(a.file()));
  }

  /** A replica started with an older copy of the file (copied before the last edit) takes etcd's newer one. */
  @Test
  void aStaleFileIsReplacedNotPublished() throws Exception {
    String prefix = prefix();
    Replica a = replica(prefix, "a");
    Replica b = replica(prefix, "b");
    MeshPolicy.edit(a.file(), p -> p.allow("orders", List.of("web-1")));
    Files.copy(a.file(), b.file());
    MeshPolicy.edit(a.file(), p -> p.allow("orders", List.of("web-3")));
    MeshPolicy newer = a.policy().reconcile(a.file());
    assertEquals(2, newer.version());
    assertEquals(newer, b.policy().reconcile(b.file()));
    assertEquals(newer, a.policy().reconcile(a.file()), "etcd still holds version 2");
  }
}
