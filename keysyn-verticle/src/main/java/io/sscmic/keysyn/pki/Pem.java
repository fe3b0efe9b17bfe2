package io.sscmic.keysyn.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** PEM text for certificates, PKCS#8 private keys and CSRs, and private file writing. */
public final class Pem {
  private Pem() {
  }

  /** PEM of a certificate, CSR or private key (always PKCS#8 "PRIVATE KEY", which Vert.x TLS loads). */
  public static String encode(Object certKeyOrCsr) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      if (certKeyOrCsr instanceof PrivateKey) {
        w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator((PrivateKey) certKeyOrCsr, null));
      } else {
        w.writeObject(certKeyOrCsr);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  private static Object parse(String pem, String what) {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (o == null) {
        throw new IllegalArgumentException("no PEM " + what + " found");
      }
      return o;
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable PEM " + what + ": " + e.getMessage());
    }
  }

  public static X509Certificate certificate(String pem) {
    Object o = parse(pem, "certificate");
    if (!(o instanceof X509CertificateHolder)) {
      throw new IllegalArgumentException("PEM is not a certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("bad certificate: " + e.getMessage());
    }
  }

  /**
   * Every certificate in a PEM text (a CA bundle: the mesh CA, or the old and the new one while the
   * CA is rotated), in order; at least one.
   */
  public static java.util.List<X509Certificate> certificates(String pem) {
    java.util.List<X509Certificate> all = new java.util.ArrayList<>();
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      for (Object o; (o = p.readObject()) != null; ) {
        if (!(o instanceof X509CertificateHolder)) {
          throw new IllegalArgumentException("PEM holds something other than certificates");
        }
        all.add(new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o));
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("unreadable PEM certificates: " + e.getMessage());
    }
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no PEM certificate found");
    }
    return all;
  }

  public static PrivateKey privateKey(String pem) {
    Object o = parse(pem, "private key");
    if (!(o instanceof PrivateKeyInfo)) {
      throw new IllegalArgumentException("PEM is not a PKCS#8 private key");
    }
    try {
      return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) o);
    } catch (IOException e) {
      throw new IllegalArgumentException("bad private key: " + e.getMessage());
    }
  }

  public static PKCS10CertificationRequest csr(String pem) {
    Object o = parse(pem, "certificate request");
    if (!(o instanceof PKCS10CertificationRequest)) {
      throw new IllegalArgumentException("PEM is not a PKCS#10 certificate request");
    }
    return (PKCS10CertificationRequest) o;
  }

  /** Writes atomically with mode 0600 when {@code secret}, else 0644 (see {@link io.sscmic.keysyn.StateFiles}). */
  public static void write(Path path, String text, boolean secret) throws IOException {
    io.sscmic.keysyn.StateFiles.write(path, text.getBytes(StandardCharsets.US_ASCII), secret);
  }

}
