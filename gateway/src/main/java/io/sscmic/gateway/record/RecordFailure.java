package io.sscmic.gateway.record;

import io.sscmic.gateway.handshake.AlertReason;

/** A refused record with its reason; the message is safe to log (no key material, no payload). */
public final class RecordFailure extends Exception {
  private final AlertReason reason;

  public RecordFailure(AlertReason reason, String detail) {
    super(reason.label() + ": " + detail, null, false, false);
    this.reason = reason;
  }

  public AlertReason reason() {
    return reason;
  }
}
