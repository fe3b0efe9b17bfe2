package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.CipherSuite;
import java.security.cert.X509Certificate;

/**
 * A verified handshake: who the peer is, the cipher, the version, and the connection secret the
 * record keys are derived from. {@code finishRecord} is the FINISH the initiator must send (null
 * on the responder). The secret never leaves the record layer; toString hides it.
 */
public record Established(String peerNodeId, X509Certificate peerCertificate, CipherSuite suite, int version,
                          long initEpoch, byte[] connectionSecret, byte[] finishRecord) {
  @Override
  public String toString() {
    return "Established{peer=" + peerNodeId + ", suite=" + suite + ", version=" + version + ", epoch=" + initEpoch + "}";
  }
}
