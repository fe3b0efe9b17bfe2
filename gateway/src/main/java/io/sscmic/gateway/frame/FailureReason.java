package io.sscmic.gateway.frame;

/**
 * Why a tunnel refused a hello or tore down a stream. The label is the metric label and the word
 * in log lines; the code travels in REFUSE and ERROR frames.
 */
public enum FailureReason {
  AUTH(1, "auth", "authentication failed (tampered, replayed, reordered or wrong mesh key)"),
  STALE_EPOCH(2, "stale_epoch", "stale epoch"),
  FUTURE_EPOCH(3, "future_epoch", "future epoch"),
  MALFORMED(4, "malformed", "malformed frame"),
  OVERSIZE(5, "oversize", "frame larger than the protocol allows"),
  REPLAY(6, "replay", "replayed hello"),
  TRUNCATED(7, "truncated", "stream closed without end-of-stream frame"),
  UNKNOWN_SERVICE(8, "unknown_service", "unknown service"),
  UNSUPPORTED(9, "unsupported", "unsupported protocol version or cipher"),
  TIMEOUT(10, "timeout", "timed out"),
  BACKEND_UNAVAILABLE(11, "backend_unavailable", "local service unreachable"),
  PEER_ABORTED(12, "peer_aborted", "the other side aborted the stream"),
  NOT_READY(13, "not_ready", "key state not ready"),
  SHUTTING_DOWN(14, "shutting_down", "sidecar shutting down"),
  OVERLOADED(15, "overloaded", "connection limit, per-peer limit or handshake rate exceeded"),
  /**
   * Counted by a client for a REFUSE it received: REFUSE is unauthenticated, so its claimed reason
   * goes to the log only, and nobody on the path can choose what the client counts. Never sent.
   */
  PEER_REFUSED(16, "peer_refused", "the peer (or someone on the path) refused the hello"),
  /**
   * Counted by a calling sidecar that cannot open a connection to any peer sidecar of the service
   * (refused, timed out, no endpoint): the look-at-the-peer-host case, apart from
   * {@link #BACKEND_UNAVAILABLE}, which a receiving sidecar counts when its own local service is
   * down. Never sent.
   */
  PEER_UNREACHABLE(17, "peer_unreachable", "no peer sidecar of the service could be reached");

  private final int code;
  private final String label;
  private final String description;

  FailureReason(int code, String label, String description) {
    this.code = code;
    this.label = label;
    this.description = description;
  }

  public int code() {
    return code;
  }

  /** Short snake_case word for metrics and logs. */
  public String label() {
    return label;
  }

  public String description() {
    return description;
  }

  public static FailureReason fromCode(int code) {
    for (FailureReason r : values()) {
      if (r.code == code) {
        return r;
      }
    }
    return PEER_ABORTED;
  }
}
