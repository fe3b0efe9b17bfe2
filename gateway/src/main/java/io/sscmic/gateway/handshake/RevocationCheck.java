package io.sscmic.gateway.handshake;

import java.security.cert.X509Certificate;

/** Whether a peer's certificate is revoked (the authority's list today, a signed roster later). */
@FunctionalInterface
public interface RevocationCheck {
  /** Accepts every certificate the mesh CA issued. */
  RevocationCheck NONE = (nodeId, certificate) -> false;

  /** Must not block: called on the connection's event loop. */
  boolean isRevoked(String nodeId, X509Certificate certificate);
}
