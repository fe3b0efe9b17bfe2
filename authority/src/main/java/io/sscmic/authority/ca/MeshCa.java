package io.sscmic.authority.ca;

import static io.sscmic.keysyn.pki.NodeCertificates.AUTHORITY_ID;
import static io.sscmic.keysyn.pki.NodeCertificates.NODE_URI_PREFIX;
import static io.sscmic.keysyn.pki.NodeCertificates.commonName;
import static io.sscmic.keysyn.pki.NodeCertificates.isReserved;
import static io.sscmic.keysyn.pki.NodeCertificates.newKeyPair;
import static io.sscmic.keysyn.pki.NodeCertificates.nodeId;
import static io.sscmic.keysyn.pki.NodeCertificates.signer;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The mesh's small certificate authority (ECDSA P-256, which Vert.x TLS loads from PEM). Issues
 * node certificates from CSRs (the node's key never leaves the node) and the authority's own
 * server certificate. Key generation and signing are CPU work: call from a worker.
 */
public final class MeshCa {

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final SecureRandom random;
  /** CAs this one replaced (a CA rotation): their node certificates are still accepted, never issued. */
  private final List<X509Certificate> previous;
  private final SerialNumbers serials;

  public MeshCa(X509Certificate certificate, PrivateKey key, SecureRandom random) {
    this(certificate, key, random, List.of());
  }

  /** @param previous the CAs this one replaced, whose node certificates stay valid until they expire */
  public MeshCa(X509Certificate certificate, PrivateKey key, SecureRandom random, List<X509Certificate> previous) {
    this(certificate, key, random, previous, SerialNumbers.random(random));
  }

  /** @param serials where serial numbers come from: a counter shared by authority replicas (issue 17 item 4) */
  public MeshCa(X509Certificate certificate, PrivateKey key, SecureRandom random, List<X509Certificate> previous,
                SerialNumbers serials) {
    this.certificate = certificate;
    this.key = key;
    this.random = random;
    this.previous = List.copyOf(previous);
    this.serials = serials;
  }

  /** This CA with serials from {@code serials}. */
  public MeshCa withSerials(SerialNumbers serials) {
    return new MeshCa(certificate, key, random, previous, serials);
  }

  /** The CAs this one replaced. */
  public List<X509Certificate> previous() {
    return previous;
  }

  /** A new self-signed root for a mesh. */
  public static MeshCa create(String mesh, Duration validity, SecureRandom random) {
    KeyPair kp = newKeyPair(random);
    X500Name name = new X500Name("CN=sscmic mesh CA " + mesh);
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(validity)), name, kp.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(kp.getPrivate())));
      return new MeshCa(cert, kp.getPrivate(), random);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the mesh CA", e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  /**
   * A CSR the CA will not sign. {@link #getMessage()} is for the log (it may quote a parser);
   * {@link #publicMessage()} is what the caller is told.
   */
  public static final class CsrRefused extends IllegalArgumentException {
    private final String publicMessage;

    CsrRefused(String publicMessage, String detail) {
      super(detail);
      this.publicMessage = publicMessage;
    }

    public String publicMessage() {
      return publicMessage;
    }
  }

  /**
   * Checks a CSR without signing anything: its signature verifies and it names
   * {@code expectedNodeId}, which must not be the reserved authority id.
   *
   * @return the key to certify
   * @throws CsrRefused with a message fit for the caller and a detail for the log
   */
  public static PublicKey checkCsr(PKCS10CertificationRequest csr, String expectedNodeId) {
    if (isReserved(expectedNodeId)) {
      throw new CsrRefused("the node id '" + AUTHORITY_ID + "' is reserved", "a CSR for the reserved id");
    }
    JcaPKCS10CertificationRequest req = new JcaPKCS10CertificationRequest(csr);
    PublicKey pub;
    try {
      pub = req.getPublicKey();
      if (!req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(pub))) {
        throw new CsrRefused("the CSR signature does not verify", "the CSR signature does not verify");
      }
    } catch (CsrRefused e) {
      throw e;
    } catch (Exception e) {
      throw new CsrRefused("unreadable CSR", "unreadable CSR: " + e);
    }
    String cn = commonName(req.getSubject());
    if (!expectedNodeId.equals(cn)) {
      String m = "the CSR is for '" + cn + "', the token for '" + expectedNodeId + "'";
      throw new CsrRefused(m, m);
    }
    return pub;
  }

  /**
   * Issues a node certificate from a CSR after checking the CSR's signature and that it names
   * {@code expectedNodeId}.
   */
  public X509Certificate issueNode(PKCS10CertificationRequest csr, String expectedNodeId, Duration validity) {
    return issueNode(checkCsr(csr, expectedNodeId), expectedNodeId, Instant.now().plus(validity));
  }

  /**
   * A node certificate for a key already checked by {@link #checkCsr}: TLS client authentication
   * only (no serverAuth: a node cannot pose as a TLS server of the mesh, whatever its name), its
   * id in the URI SAN and the CN.
   */
  public X509Certificate issueNode(PublicKey pub, String nodeId, Instant notAfter) {
    if (isReserved(nodeId)) {
      throw new IllegalArgumentException("the node id '" + AUTHORITY_ID + "' is reserved");
    }
    return issue(pub, nodeId, notAfter, List.of(new GeneralName(GeneralName.uniformResourceIdentifier,
        NODE_URI_PREFIX + nodeId)), KeyPurposeId.id_kp_clientAuth);
  }

  /** The authority's TLS server certificate, for the given host names and IP addresses. */
  public X509Certificate issueAuthority(PublicKey pub, List<String> hosts, Duration validity) {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, NODE_URI_PREFIX + AUTHORITY_ID));
    for (String h : hosts) {
      names.add(new GeneralName(h.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, h));
    }
    return issue(pub, AUTHORITY_ID, Instant.now().plus(validity), names, KeyPurposeId.id_kp_serverAuth);
  }

  private X509Certificate issue(PublicKey pub, String cn, Instant notAfter, List<GeneralName> sans,
                                KeyPurposeId... purposes) {
    Instant now = Instant.now();
    // Drawn before signing and outside the try: a shared counter that cannot be reached is an
    // UncheckedIOException the caller answers 503, not an internal error.
    BigInteger serial = serials.next();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial,
          Date.from(now.minusSeconds(60)), Date.from(notAfter), new X500Name("CN=" + cn), pub)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue a certificate for " + cn, e);
    }
  }

  /** The node id a certificate was issued to (its CN), if this CA issued it and it is valid now. */
  public String verifyNode(X509Certificate cert, Instant now) {
    if (!issuedBy(cert, certificate) && previous.stream().noneMatch(p -> issuedBy(cert, p))) {
      throw new IllegalArgumentException("certificate not issued by this mesh's CA");
    }
    if (now.isAfter(cert.getNotAfter().toInstant())) {
      throw new IllegalArgumentException("certificate expired at " + cert.getNotAfter().toInstant());
    }
    if (now.isBefore(cert.getNotBefore().toInstant())) {
      throw new IllegalArgumentException("certificate not valid before " + cert.getNotBefore().toInstant());
    }
    if (!io.sscmic.keysyn.pki.NodeCertificates.hasExtendedKeyUsage(cert, io.sscmic.keysyn.pki.NodeCertificates.CLIENT_AUTH)) {
      throw new IllegalArgumentException("certificate not issued for TLS client authentication");
    }
    return nodeId(cert);
  }

  private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random);
  }
}
