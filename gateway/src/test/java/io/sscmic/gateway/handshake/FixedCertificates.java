package io.sscmic.gateway.handshake;

import io.sscmic.keysyn.pki.NodeCertificates;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * Reproducible certificates for the protocol's test vectors: P-256 keys from fixed scalars, fixed
 * serials and validity, and deterministic ECDSA (RFC 6979) signatures, so every byte of RESP and
 * FINISH is the same on every run. Shaped like MeshCa's (CA: basicConstraints CA; node: CN = id,
 * URI SAN sscmic://node/id, digitalSignature).
 */
final class FixedCertificates {
  static final Instant NOT_BEFORE = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant NOT_AFTER = Instant.parse("2126-01-01T00:00:00Z");
  static final Instant VERIFY_AT = Instant.parse("2026-06-01T00:00:00Z");

  private FixedCertificates() {
  }

  record Pair(X509Certificate certificate, PrivateKey key) {
  }

  static PrivateKey privateKey(byte fill) throws Exception {
    return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(scalar(fill), params()));
  }

  static PublicKey publicKey(byte fill) throws Exception {
    var g = ECNamedCurveTable.getParameterSpec("secp256r1").getG().multiply(scalar(fill)).normalize();
    ECPoint w = new ECPoint(g.getAffineXCoord().toBigInteger(), g.getAffineYCoord().toBigInteger());
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, params()));
  }

  private static BigInteger scalar(byte fill) {
    byte[] s = new byte[32];
    java.util.Arrays.fill(s, fill);
    return new BigInteger(1, s);
  }

  private static ECParameterSpec params() {
    return ((java.security.interfaces.ECPublicKey) NodeCertificates.newKeyPair(TestIdentities.RANDOM).getPublic()).getParams();
  }

  static ContentSigner signer(PrivateKey key) {
    return new ContentSigner() {
      private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withECDSA");
      }

      @Override
      public OutputStream getOutputStream() {
        return tbs;
      }

      @Override
      public byte[] getSignature() {
        return Signatures.sign(key, new byte[0], tbs.toByteArray());
      }
    };
  }

  static Pair ca() throws Exception {
    X500Name name = new X500Name("CN=sscmic mesh CA vectors");
    var b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(NOT_BEFORE), Date.from(NOT_AFTER), name,
        publicKey((byte) 0x0c))
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    PrivateKey key = privateKey((byte) 0x0c);
    return new Pair(new JcaX509CertificateConverter().getCertificate(b.build(signer(key))), key);
  }

  static Pair node(Pair ca, String id, byte fill, long serial) throws Exception {
    var b = new JcaX509v3CertificateBuilder(ca.certificate(), BigInteger.valueOf(serial), Date.from(NOT_BEFORE),
        Date.from(NOT_AFTER), new X500Name("CN=" + id), publicKey(fill))
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, NodeCertificates.NODE_URI_PREFIX + id)));
    return new Pair(new JcaX509CertificateConverter().getCertificate(b.build(signer(ca.key()))), privateKey(fill));
  }
}
