package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Logger;

/**
 * What one authority replica shares with the others through etcd (issue 17 item 4), set up at
 * its start when {@code etcd.endpoints} is configured: spent enrollment tokens ({@link
 * EtcdTokenLedger}), certificate serials ({@link EtcdSerials}), revocations ({@link
 * EtcdRevocations}) and the CA private key, stored in etcd only as an envelope ({@link
 * CaKeyEnvelope}) under the KEK file. Blocking: built on a worker.
 */
public final class EtcdReplicaState implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdReplicaState.class.getName());
  /** The etcd key (under the prefix) of the CA key's envelope. */
  public static final String CA_KEY = "ca/key";
  private final EtcdStore store;
  private final KeyEncryptionKey kek;
  private final EtcdRevocations revocations;
  private final EtcdIssuedCertificates certificates;
  private EtcdLeadership leadership;
  private EtcdReseeds reseeds;
  private EtcdRegistry registry;

  private EtcdReplicaState(EtcdStore store, KeyEncryptionKey kek) {
    this.store = store;
    this.kek = kek;
    this.revocations = new EtcdRevocations(store);
    this.certificates = new EtcdIssuedCertificates(store);
  }

  /**
   * Reads the KEK and connects to etcd. Fails, and the replica does not start, without a usable
   * KEK file or when etcd does not answer.
   */
  public static EtcdReplicaState open(List<String> endpoints, String prefix, Path kekFile)
      throws KeyEncryptionKey.InvalidKek, IOException {
    return open(endpoints, prefix, KeyEncryptionKey.read(kekFile));
  }

  public static EtcdReplicaState open(List<String> endpoints, String prefix, KeyEncryptionKey kek)
      throws IOException {
    EtcdStore store = new EtcdStore(endpoints, prefix);
    try {
      store.check();
    } catch (IOException e) {
      store.close();
      throw new IOException("cannot reach etcd at " + String.join(",", endpoints) + " (etcd.endpoints): "
          + e.getMessage(), e);
    }
    return new EtcdReplicaState(store, kek);
  }

  public EtcdStore store() {
    return store;
  }

  /** Enrollment tokens spent once across the replicas. */
  public EnrollmentTokens tokens(byte[] tokenKey) {
    return new EnrollmentTokens(tokenKey, new EtcdTokenLedger(store));
  }

  /**
   * The issued-certificates record every replica shares (under {@code <prefix>certs/}), mirrored
   * to {@code file}: a node enrolled or renewed at one replica recovers and renews at any other.
   * Blocking.
   */
  public io.sscmic.authority.ca.IssuedCertificates issued(Path file) throws IOException {
    io.sscmic.authority.ca.IssuedCertificates issued = io.sscmic.authority.ca.IssuedCertificates.load(file);
    issued.share(certificates);
    return issued;
  }

  /** The mesh policy every replica sends, reconciled with this host's {@code policy.json}. */
  public EtcdPolicy policy() {
    return new EtcdPolicy(store);
  }

  /** The revocations every replica sees, mirrored to {@code file}. Blocking. */
  public Revocations revocations(Path file) throws IOException {
    return Revocations.shared(file, revocations);
  }

  /**
   * The mesh CA with its key from etcd and serials from the shared counter. The first replica
   * (with {@code ca.key} on its disk and an empty etcd) seals its key into etcd; the others open
   * that envelope and need no {@code ca.key}. A replica whose own {@code ca.key} differs from the
   * one in etcd, or that cannot open the envelope with its KEK, refuses to start. Blocking.
   *
   * @param localKey the key in this replica's {@code ca.key}, or null when it has none
   */
  public MeshCa ca(X509Certificate certificate, PrivateKey localKey, SecureRandom random,
                   List<X509Certificate> previous) throws IOException, CaKeyEnvelope.Unopenable {
    String name = store.prefix() + CA_KEY;
    ByteSequence key = store.key(CA_KEY);
    KV kv = store.client().getKVClient();
    GetResponse got = await(kv.get(key, GetOption.DEFAULT));
    PrivateKey caKey;
    if (got.getCount() == 0) {
      if (localKey == null) {
        throw new CaKeyEnvelope.Unopenable("no CA key in etcd (" + name + ") and none on this replica: start the "
            + "first replica in the directory sscmic init made (with ca.key), it stores the key in etcd");
      }
      checkPair(certificate, localKey, "this replica's ca.key");
      byte[] sealed = CaKeyEnvelope.seal(localKey, kek, name, random);
      TxnResponse r = await(kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
          .Then(Op.put(key, ByteSequence.from(sealed), PutOption.DEFAULT))
          .Else(Op.get(key, GetOption.DEFAULT)).commit());
      if (r.isSucceeded()) {
        LOG.info(() -> "authority: stored the CA key in etcd (" + name + "), sealed under KEK " + kek.id()
            + "; other replicas need no ca.key, only the KEK file");
        caKey = localKey;
      } else {
        // Another replica stored it first.
        caKey = CaKeyEnvelope.open(r.getGetResponses().get(0).getKvs().get(0).getValue().getBytes(), kek, name);
      }
    } else {
      caKey = CaKeyEnvelope.open(got.getKvs().get(0).getValue().getBytes(), kek, name);
    }
    checkPair(certificate, caKey, "the CA key in etcd (" + name + ")");
    if (localKey != null && !java.util.Arrays.equals(localKey.getEncoded(), caKey.getEncoded())) {
      throw new CaKeyEnvelope.Unopenable("this replica's ca.key is not the CA key in etcd (" + name + "): its "
          + "directory is of another mesh, or etcd.prefix names another mesh's keys");
    }
    return new MeshCa(certificate, caKey, random, previous, new EtcdSerials(store, random));
  }

  /** The key must sign what the CA certificate's public key verifies. */
  private static void checkPair(X509Certificate certificate, PrivateKey key, String what)
      throws CaKeyEnvelope.Unopenable {
    try {
      byte[] probe = "sscmic ca key probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(certificate.getPublicKey());
      s.update(probe);
      if (s.verify(sig)) {
        return;
      }
    } catch (java.security.GeneralSecurityException e) {
      // reported below
    }
    throw new CaKeyEnvelope.Unopenable(what + " does not belong to the CA certificate ca.crt");
  }

  /**
   * The re-seeds in etcd (written by whichever replica led), oldest first: a replica starting
   * after one took effect must compute the same chain as the others. Blocking.
   */
  public List<io.sscmic.keysyn.ChainAnchor> reseeds(io.sscmic.keysyn.EpochClock clock) throws IOException,
      CaKeyEnvelope.Unopenable {
    return new EtcdReseeds(store, kek, null, clock, java.time.Duration.ofDays(1), java.time.Duration.ZERO, null,
        a -> { }).anchors();
  }

  /**
   * Starts the scheduled re-seed: this replica campaigns for the duty and, while it leads,
   * schedules a re-seed {@code every} after the last one took effect, {@code lead} ahead; every
   * re-seed in etcd (this replica's or another's) goes to {@code onAnchor}.
   *
   * @param replica this replica's name in the leader key (host and pid)
   */
  public synchronized EtcdReseeds startReseeds(io.sscmic.keysyn.EpochClock clock, java.time.Duration every,
                                               java.time.Duration lead, SecureRandom random, String replica,
                                               java.util.function.Consumer<io.sscmic.keysyn.ChainAnchor> onAnchor) {
    leadership = new EtcdLeadership(store, "reseed", replica, LEADER_TTL).start();
    reseeds = new EtcdReseeds(store, kek, leadership, clock, every, lead, random, onAnchor)
        .start(java.time.Duration.ofSeconds(1));
    return reseeds;
  }

  /**
   * Without a scheduled re-seed: only watches the re-seeds in etcd (those made by hand on any
   * replica's host, {@link #publishReseed}), each going to {@code onAnchor}. No leadership.
   */
  public synchronized EtcdReseeds watchReseeds(io.sscmic.keysyn.EpochClock clock,
                                               java.util.function.Consumer<io.sscmic.keysyn.ChainAnchor> onAnchor) {
    reseeds = new EtcdReseeds(store, kek, null, clock, java.time.Duration.ofDays(1), java.time.Duration.ZERO,
        new SecureRandom(), onAnchor).start(java.time.Duration.ofMinutes(1));
    return reseeds;
  }

  /**
   * A re-seed made by hand on this replica's host ({@code sscmic reseed}, the dashboard) written
   * to etcd for every replica, sealed under the KEK. Blocking.
   *
   * @return false when etcd holds a re-seed at that epoch already (the same one, shared before)
   */
  public boolean publishReseed(io.sscmic.keysyn.ChainAnchor anchor) throws IOException {
    return new EtcdReseeds(store, kek, null, null, java.time.Duration.ofDays(1), java.time.Duration.ZERO,
        new SecureRandom(), a -> { }).publish(anchor);
  }

  /**
   * Shares {@code services} with the other replicas through etcd: registrations made on any
   * replica reach every replica's watchers. Blocking (reads what etcd holds now).
   */
  public synchronized EtcdRegistry shareRegistry(io.sscmic.authority.registry.ServiceRegistry services,
                                                 java.time.Duration ttl) throws IOException {
    registry = new EtcdRegistry(store, services, ttl).start();
    return registry;
  }

  /** How long after a leader's death another replica takes over its duties. */
  public static final java.time.Duration LEADER_TTL = java.time.Duration.ofSeconds(10);

  @Override
  public synchronized void close() {
    if (registry != null) {
      registry.close();
    }
    if (reseeds != null) {
      reseeds.close();
    }
    if (leadership != null) {
      leadership.close(); // resigns: another replica leads at once
    }
    revocations.close();
    certificates.close();
    store.close();
  }
}
