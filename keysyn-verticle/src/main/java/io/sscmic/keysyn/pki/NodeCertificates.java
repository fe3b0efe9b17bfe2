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
  /** Reserved: no node may enroll under it (tokens, CSRs and the CA refuse it). */
  public static final String AUTHORITY_ID = "authority";
  /** Extended key usage OIDs (RFC 5280 4.2.1.12). */
  public static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  public static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int SAN_URI = 6;
  private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
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

  /** True for the id reserved to the authority (compared without regard to case). */
  public static boolean isReserved(String nodeId) {
    return AUTHORITY_ID.equalsIgnoreCase(nodeId);
  }

  /**
   * Whether {@code cert} is the authority's: its URI SAN is {@code sscmic://node/authority}, its
   * extended key usage includes serverAuth and its key usage digitalSignature. A node's
   * certificate (URI SAN {@code sscmic://node/<id>}, clientAuth only) never passes, whatever its
   * CN; the caller still checks that the mesh CA issued it.
   */
  public static boolean isAuthority(X509Certificate cert) {
    return hasUri(cert, NODE_URI_PREFIX + AUTHORITY_ID) && hasExtendedKeyUsage(cert, SERVER_AUTH)
        && cert.getKeyUsage() != null && cert.getKeyUsage()[KEY_USAGE_DIGITAL_SIGNATURE];
  }

  /** Whether the certificate names {@code uri} among its subject alternative names. */
  public static boolean hasUri(X509Certificate cert, String uri) {
    try {
      var names = cert.getSubjectAlternativeNames();
      if (names == null) {
        return false;
      }
      for (var n : names) {
        if (n.size() >= 2 && Integer.valueOf(SAN_URI).equals(n.get(0)) && uri.equals(n.get(1))) {
          return true;
        }
      }
      return false;
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  /** Whether the certificate's extended key usage lists {@code oid}. */
  public static boolean hasExtendedKeyUsage(X509Certificate cert, String oid) {
    try {
      var usages = cert.getExtendedKeyUsage();
      return usages != null && usages.contains(oid);
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  public static String commonName(X500Name name) {
    var rdns = name.getRDNs(BCStyle.CN);
    return rdns.length == 0 ? "" : IETFUtils.valueToString(rdns[0].getFirst().getValue());
  }

  public static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }
}
