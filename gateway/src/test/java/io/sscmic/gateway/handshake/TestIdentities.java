package io.sscmic.gateway.handshake;

import io.sscmic.authority.ca.MeshCa;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.pki.NodeCertificates;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;

/** A mesh for tests: its CA, node identities issued as the authority issues them, key schedules. */
public final class TestIdentities {
  public static final SecureRandom RANDOM = new SecureRandom();
  public static final long EPOCH = 1000;
  public final MeshCa ca;
  public final ChainAnchor chain;

  public TestIdentities(String name) {
    this.ca = MeshCa.create(name, Duration.ofDays(1), RANDOM);
    byte[] seed = new byte[32];
    RANDOM.nextBytes(seed);
    this.chain = ChainAnchor.genesis(seed);
  }

  /** A node certificate for {@code id} and its key, issued from a CSR by this mesh's CA. */
  public LocalIdentity node(String id) {
    KeyPair kp = NodeCertificates.newKeyPair(RANDOM);
    X509Certificate cert = ca.issueNode(NodeCertificates.csr(id, kp), id, Duration.ofHours(1));
    return new LocalIdentity(id, cert, kp.getPrivate());
  }

  /** A schedule of this mesh's chain, installed at {@code epoch}, moved by hand. */
  public KeySchedule schedule(long epoch) {
    KeySchedule s = new KeySchedule();
    s.install(chain.stateAt(epoch));
    return s;
  }

  public PeerVerifier verifier() {
    return new PeerVerifier(ca.certificate(), RevocationCheck.NONE, Clock.systemUTC());
  }

  public HandshakeSettings settings(LocalIdentity identity, KeySchedule schedule) {
    return HandshakeSettings.of(identity, verifier(), schedule).withProvider(AeadProvider.JDK);
  }

  public HandshakeSettings settings(String id, long epoch) {
    return settings(node(id), schedule(epoch));
  }
}
