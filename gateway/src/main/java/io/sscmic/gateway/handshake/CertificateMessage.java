package io.sscmic.gateway.handshake;

import java.io.ByteArrayOutputStream;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The sealed part of RESP and FINISH: the sender's certificate chain and its signature over the
 * transcript hash.
 * <pre>
 * count u8 (1..2) | (u16 len (1..2048) | DER certificate) * count | u16 len (8..72) | ECDSA signature (DER)
 * </pre>
 * The first certificate is the sender's node certificate; a second (the CA's own) is allowed and ignored.
 */
record CertificateMessage(List<byte[]> certificates, byte[] signature) {
  static final int MAX_CERTIFICATES = 2;
  static final int MAX_CERTIFICATE = 2048;
  static final int MIN_SIGNATURE = 8;
  static final int MAX_SIGNATURE = 72;
  static final int MAX_LENGTH = 1 + MAX_CERTIFICATES * (2 + MAX_CERTIFICATE) + 2 + MAX_SIGNATURE;

  /** {@code count | certificates}: what the signature's transcript hash covers. */
  static byte[] encodeCertificates(X509Certificate certificate) {
    try {
      byte[] der = certificate.getEncoded();
      if (der.length > MAX_CERTIFICATE) {
        throw new IllegalArgumentException("certificate of " + der.length + " bytes exceeds " + MAX_CERTIFICATE);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(3 + der.length);
      out.write(1);
      out.write(der.length >>> 8);
      out.write(der.length);
      out.writeBytes(der);
      return out.toByteArray();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("cannot encode the node certificate", e);
    }
  }

  static byte[] encode(byte[] certificateList, byte[] signature) {
    byte[] out = new byte[certificateList.length + 2 + signature.length];
    System.arraycopy(certificateList, 0, out, 0, certificateList.length);
    out[certificateList.length] = (byte) (signature.length >>> 8);
    out[certificateList.length + 1] = (byte) signature.length;
    System.arraycopy(signature, 0, out, certificateList.length + 2, signature.length);
    return out;
  }

  /** Parses the plaintext; returns the message and where its certificate list ends. */
  static Parsed parse(byte[] plain, String what) throws HandshakeFailure {
    MessageReader r = new MessageReader(plain, 0, plain.length, what);
    int count = r.u8();
    if (count < 1 || count > MAX_CERTIFICATES) {
      throw r.malformed(count + " certificates");
    }
    List<byte[]> certs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int len = r.u16();
      if (len < 1 || len > MAX_CERTIFICATE) {
        throw r.malformed("certificate of " + len + " bytes");
      }
      certs.add(r.bytes(len));
    }
    int listEnd = r.position();
    int sigLen = r.u16();
    if (sigLen < MIN_SIGNATURE || sigLen > MAX_SIGNATURE) {
      throw r.malformed("signature of " + sigLen + " bytes");
    }
    byte[] sig = r.bytes(sigLen);
    r.expectEnd();
    return new Parsed(new CertificateMessage(certs, sig), listEnd);
  }

  record Parsed(CertificateMessage message, int certificateListLength) {
  }
}
