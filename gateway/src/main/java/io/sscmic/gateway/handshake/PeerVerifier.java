package io.sscmic.gateway.handshake;

import io.sscmic.keysyn.pki.NodeCertificates;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Checks a peer's node certificate: issued by the mesh CA, valid now, an end-entity P-256 key for
 * signatures, CN and URI SAN {@code sscmic://node/<id>} naming the same node, that node the one
 * expected, and not revoked. In that order; the first failure is the reason.
 */
public final class PeerVerifier {
  private final X509Certificate meshCa;
  private final RevocationCheck revocation;
  private final Clock clock;

  public PeerVerifier(X509Certificate meshCa, RevocationCheck revocation, Clock clock) {
    this.meshCa = Objects.requireNonNull(meshCa);
    this.revocation = Objects.requireNonNull(revocation);
    this.clock = Objects.requireNonNull(clock);
  }

  public PeerVerifier(X509Certificate meshCa) {
    this(meshCa, RevocationCheck.NONE, Clock.systemUTC());
  }

  public X509Certificate meshCa() {
    return meshCa;
  }

  /** The peer's certificate, if every check passes. */
  X509Certificate verify(List<byte[]> chain, String expectedNodeId) throws HandshakeFailure {
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(chain.get(0)));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "unreadable certificate");
    }
    try {
      cert.verify(meshCa.getPublicKey());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "certificate not issued by this mesh's CA");
    }
    Instant now = clock.instant();
    if (now.isAfter(cert.getNotAfter().toInstant()) || now.isBefore(cert.getNotBefore().toInstant())) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "certificate outside its validity ("
          + cert.getNotBefore().toInstant() + " .. " + cert.getNotAfter().toInstant() + ")");
    }
    if (cert.getBasicConstraints() != -1) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "a CA certificate is not a node certificate");
    }
    boolean[] usage = cert.getKeyUsage();
    if (usage != null && !usage[0]) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "certificate not for digital signatures");
    }
    if (!(cert.getPublicKey() instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "certificate key is not EC P-256");
    }
    String nodeId = NodeCertificates.nodeId(cert);
    if (nodeId.isEmpty() || !hasNodeUri(cert, nodeId)) {
      throw new HandshakeFailure(AlertReason.BAD_CERTIFICATE, "certificate CN and URI SAN do not name one node");
    }
    if (!nodeId.equals(expectedNodeId)) {
      throw new HandshakeFailure(AlertReason.WRONG_PEER,
          "certificate names node '" + nodeId + "', expected '" + expectedNodeId + "'");
    }
    if (revocation.isRevoked(nodeId, cert)) {
      throw new HandshakeFailure(AlertReason.REVOKED, "node '" + nodeId + "' is revoked");
    }
    return cert;
  }

  private static boolean hasNodeUri(X509Certificate cert, String nodeId) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return false;
      }
      for (List<?> san : sans) {
        if (Integer.valueOf(6).equals(san.get(0)) && (NodeCertificates.NODE_URI_PREFIX + nodeId).equals(san.get(1))) {
          return true;
        }
      }
      return false;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
