package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sscmic.authority.ca.IssuedCertificates;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.keysyn.pki.NodeCertificates;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 17 item 4's leftover: a renewal on one replica is a compare-and-swap on the node's entry in
 * etcd, not a plain put. The attack: a thief with a copy of a node's key renews it at replica B
 * while B's view is behind (the node renewed at A and already uses its new certificate; B's watch
 * has not brought that yet). With a plain put B decided on its stale view and issued the thief a
 * certificate, superseding the node's. Here B's watch is held back for good (its view stays stale),
 * which makes the race deterministic: B must take etcd's entry and refuse. And the case that must
 * keep working: a node whose renewal answer was lost at A renews again at B (its new certificate
 * unused), and gets a certificate there.
 */
class EtcdRenewalRaceTest {
  @RegisterExtension
  static final EtcdExtension etcd = new EtcdExtension();
  private final SecureRandom random = new SecureRandom();
  private final MeshCa ca = MeshCa.create("race", Duration.ofDays(1), random);
  private final List<EtcdStore> stores = new ArrayList<>();
  private final String prefix = "/sscmic/renewal-race-" + System.nanoTime() + "/";

  @AfterEach
  void close() {
    stores.forEach(EtcdStore::close);
  }

  private EtcdIssuedCertificates shared() {
    EtcdStore store = new EtcdStore(List.of(etcd.endpoint()), prefix);
    stores.add(store);
    return new EtcdIssuedCertificates(store);
  }

  /** The record in etcd, without the watch: a replica whose view is behind. */
  private static IssuedCertificates.Shared withoutWatch(EtcdIssuedCertificates s) {
    return new IssuedCertificates.Shared() {
      @Override
      public Map<String, IssuedCertificates.Entry> all() throws java.io.IOException {
        return s.all();
      }

      @Override
      public void put(IssuedCertificates.Entry e) throws java.io.IOException {
        s.put(e);
      }

      @Override
      public void remove(String node) throws java.io.IOException {
        s.remove(node);
      }

      @Override
      public Optional<IssuedCertificates.Entry> replace(IssuedCertificates.Entry expected,
                                                        IssuedCertificates.Entry next) throws java.io.IOException {
        return s.replace(expected, next);
      }

      @Override
      public void watch(BiConsumer<String, IssuedCertificates.Entry> changed) {
        // held back: this replica never hears of the others' changes by itself
      }
    };
  }

  private X509Certificate cert(String node) {
    return ca.issueNode(NodeCertificates.newKeyPair(random).getPublic(), node, Instant.now().plusSeconds(3600));
  }

  @Test
  void aCopiedKeyCannotRenewAtAReplicaWhoseViewIsBehindButALostAnswerStillRenewsThere() throws Exception {
    EtcdIssuedCertificates atA = shared();
    IssuedCertificates a = IssuedCertificates.inMemory();
    a.share(atA);
    Instant now = Instant.now();
    X509Certificate original = cert("n1");
    X509Certificate lost = cert("n2");
    a.enrolled("n1", original, now);
    a.enrolled("n2", lost, now);
    IssuedCertificates b = IssuedCertificates.inMemory();
    b.share(withoutWatch(shared())); // B's view: n1 and n2 on their first certificates, from now on stale

    // n1 renews at A and uses its new certificate.
    X509Certificate renewed = cert("n1");
    a.renewed("n1", original, renewed, now);
    a.used("n1", renewed.getSerialNumber());
    assertEquals(IssuedCertificates.Standing.ACTIVE, b.standing("n1", original, true), "B is behind");
    // The thief, with a copy of n1's original key, renews at B: refused, as one authority refuses it.
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> b.renewed("n1", original, cert("n1"), now));
    assertEquals("superseded", refused.getMessage());
    assertEquals(renewed.getSerialNumber(), atA.all().get("n1").active(), "etcd keeps the node's certificate");
    assertEquals(renewed.getSerialNumber(), b.entry("n1").active(), "B took etcd's entry into its view");

    // n2 renews at A, the answer is lost (its new certificate never used); it asks B: renewed there.
    a.renewed("n2", lost, cert("n2"), now);
    X509Certificate atB = cert("n2");
    b.renewed("n2", lost, atB, now);
    assertEquals(atB.getSerialNumber(), atA.all().get("n2").active(), "the retry's certificate is the live one");
  }
}
