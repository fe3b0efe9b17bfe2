package io.sscmic.gateway.handshake;

import io.sscmic.keysyn.pki.NodeCertificates;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/** This node's identity in the handshake: its id, its mesh-CA certificate and the certificate's private key. */
public record LocalIdentity(String nodeId, X509Certificate certificate, PrivateKey privateKey) {
  public LocalIdentity {
    Objects.requireNonNull(nodeId);
    Objects.requireNonNull(certificate);
    Objects.requireNonNull(privateKey);
  }

  /** The identity a certificate names (its CN). */
  public static LocalIdentity of(X509Certificate certificate, PrivateKey privateKey) {
    return new LocalIdentity(NodeCertificates.nodeId(certificate), certificate, privateKey);
  }

  @Override
  public String toString() {
    return "LocalIdentity{" + nodeId + "}";
  }
}
