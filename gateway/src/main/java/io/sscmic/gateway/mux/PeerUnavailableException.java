package io.sscmic.gateway.mux;

/** No stream could be opened to a peer endpoint: the typed failure a pool caller receives. */
public final class PeerUnavailableException extends Exception {
  /** Why. */
  public enum Reason {
    /** TCP connect plus handshake did not finish within the connect timeout. */
    TIMEOUT,
    /** The TCP connect failed (refused, unreachable). */
    CONNECT_FAILED,
    /** The secure layer closed the connection before authenticating the peer, or named another node. */
    HANDSHAKE_FAILED,
    /** Every allowed connection to the peer is at its peer's stream limit. */
    SATURATED,
    /** The pool or the connection is shutting down (GOAWAY). */
    SHUTDOWN
  }

  private final Reason reason;

  public PeerUnavailableException(Reason reason, String peer, Throwable cause) {
    super("peer " + peer + " unavailable: " + reason + (cause == null || cause.getMessage() == null ? ""
        : " (" + cause.getMessage() + ")"), cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
