package io.sscmic.gateway.record;

import io.sscmic.gateway.cipher.CipherSuite;
import java.security.cert.X509Certificate;
import java.time.Duration;

/**
 * User event fired up the pipeline when the v2 handshake has verified: who the peer is (from its
 * certificate, never from anything it merely claims), the cipher and version, which side this is,
 * the INIT's epoch and how long the handshake took. Records written before it were queued and
 * have gone out sealed by the time it fires.
 */
public record HandshakeCompleted(String peerNodeId, X509Certificate peerCertificate, CipherSuite suite, int version,
                                 boolean initiator, long initEpoch, Duration elapsed) {
  @Override
  public String toString() {
    return "HandshakeCompleted{peer=" + peerNodeId + ", suite=" + suite + ", version=" + version
        + ", initiator=" + initiator + ", elapsed=" + elapsed + "}";
  }
}
