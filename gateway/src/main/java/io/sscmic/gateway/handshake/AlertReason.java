package io.sscmic.gateway.handshake;

/**
 * Why a v2 connection was refused or closed. The code travels in ALERT records, the label is the
 * metric label and the word in log lines (docs/PROTOCOL-v2.md, section "Reasons").
 */
public enum AlertReason {
  CLOSING(0, "closing", "connection closed normally"),
  MALFORMED(1, "malformed", "malformed record or handshake message"),
  UNSUPPORTED(2, "unsupported", "unsupported protocol version or cipher"),
  BAD_MAC(3, "bad_mac", "INIT MAC mismatch: not a member of this mesh (or wrong epoch key)"),
  STALE_EPOCH(4, "stale_epoch", "epoch too old"),
  FUTURE_EPOCH(5, "future_epoch", "epoch too far ahead"),
  REPLAY(6, "replay", "replayed INIT"),
  WRONG_DESTINATION(7, "wrong_destination", "INIT addressed to another node"),
  BAD_CERTIFICATE(8, "bad_certificate", "certificate not valid for this mesh"),
  BAD_SIGNATURE(9, "bad_signature", "transcript signature does not verify"),
  REVOKED(10, "revoked", "certificate revoked"),
  TIMEOUT(11, "timeout", "handshake timed out"),
  WRONG_PEER(12, "wrong_peer", "certificate names another node than expected"),
  BAD_RECORD(13, "bad_record", "record failed authentication (tampered, replayed, reordered or wrong key)"),
  OVERSIZE(14, "oversize", "record longer than its type allows"),
  UNEXPECTED_RECORD(15, "unexpected_record", "record type not allowed in this state"),
  SEQUENCE_EXHAUSTED(16, "sequence_exhausted", "record sequence number would wrap"),
  NOT_READY(17, "not_ready", "key state not ready"),
  OVERLOADED(18, "overloaded", "too many handshakes in flight"),
  INTERNAL_ERROR(19, "internal_error", "internal error"),
  SHUTTING_DOWN(20, "shutting_down", "node shutting down");

  private static final AlertReason[] BY_CODE = new AlertReason[256];

  static {
    for (AlertReason r : values()) {
      BY_CODE[r.code] = r;
    }
  }

  private final int code;
  private final String label;
  private final String description;

  AlertReason(int code, String label, String description) {
    this.code = code;
    this.label = label;
    this.description = description;
  }

  public int code() {
    return code;
  }

  public String label() {
    return label;
  }

  public String description() {
    return description;
  }

  /** The reason for a wire code, or null when this version does not know it. */
  public static AlertReason fromCode(int code) {
    return BY_CODE[code & 0xFF];
  }
}
