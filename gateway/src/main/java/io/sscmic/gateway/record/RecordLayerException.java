package io.sscmic.gateway.record;

import io.sscmic.gateway.handshake.AlertReason;
import java.io.IOException;

/** Fails the writes still pending when the record layer closed the connection for a reason. */
public final class RecordLayerException extends IOException {
  private final AlertReason reason;

  public RecordLayerException(AlertReason reason, String detail) {
    super(reason.label() + ": " + detail);
    this.reason = reason;
  }

  public AlertReason reason() {
    return reason;
  }
}
