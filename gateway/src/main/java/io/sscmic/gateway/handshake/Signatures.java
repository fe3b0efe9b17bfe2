package io.sscmic.gateway.handshake;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.jcajce.provider.asymmetric.util.ECUtil;

/**
 * The transcript signatures: ECDSA P-256 with SHA-256 over {@code context || transcript hash},
 * DER-encoded. Signing is deterministic (RFC 6979), so no signature depends on the quality of a
 * random source and the protocol's test vectors are reproducible; verification is the JDK's.
 */
final class Signatures {
  static final byte[] SERVER_CONTEXT = "sscmic/v2 server signature".getBytes(StandardCharsets.US_ASCII);
  static final byte[] CLIENT_CONTEXT = "sscmic/v2 client signature".getBytes(StandardCharsets.US_ASCII);

  private Signatures() {
  }

  static byte[] sign(PrivateKey key, byte[] context, byte[] transcriptHash) {
    try {
      AsymmetricKeyParameter p = ECUtil.generatePrivateKeyParameter(key);
      ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(SHA256Digest.newInstance()));
      signer.init(true, (ECPrivateKeyParameters) p);
      BigInteger[] rs = signer.generateSignature(V2Kdf.sha256().digest(V2Kdf.concat(context, transcriptHash)));
      return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {new ASN1Integer(rs[0]),
          new ASN1Integer(rs[1])}).getEncoded("DER");
    } catch (InvalidKeyException | IOException | ClassCastException e) {
      throw new IllegalStateException("the node key is not an EC P-256 private key", e);
    }
  }

  static boolean verify(PublicKey key, byte[] context, byte[] transcriptHash, byte[] signature) {
    try {
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(key);
      v.update(context);
      v.update(transcriptHash);
      return v.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
