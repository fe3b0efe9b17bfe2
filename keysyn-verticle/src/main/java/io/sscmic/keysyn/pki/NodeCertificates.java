package io.sscmic.keysyn.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * What a node needs of the mesh's certificates without holding the CA: its key pair (ECDSA P-256,
 * which Vert.x TLS loads from PEM), its CSR, and the node id a certificate names. The CA itself
 * lives in the authority module. Key generation is CPU work: call from a worker.
 */
public final class NodeCertificates {
  /** Node identity inside certificates: URI SAN {@code sscmic://node/<id>} and CN = id. */
  public static final String NODE_URI_PREFIX = "sscmic://node/";
  public static final String AUTHORITY_ID = "authority";
  static final String SIGNATURE = "SHA256withECDSA";

  private NodeCertificates() {
  }

  public static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 unavailable", e);
    }
  }

  /** A CSR for {@code nodeId}, signed by the node's own key (built on the node). */
  public static PKCS10CertificationRequest csr(String nodeId, KeyPair keyPair) {
    try {
      return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + nodeId), keyPair.getPublic())
          .build(signer(keyPair.getPrivate()));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The node id a certificate was issued to: its CN. */
  public static String nodeId(X509Certificate cert) {
    return commonName(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()));
  }

  public static String commonName(X500Name name) {
    var rdns = name.getRDNs(BCStyle.CN);
    return rdns.length == 0 ? "" : IETFUtils.valueToString(rdns[0].getFirst().getValue());
  }

  public static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }
}
