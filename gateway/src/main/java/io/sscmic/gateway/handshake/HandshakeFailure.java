package io.sscmic.gateway.handshake;

/** A refused handshake with its reason; the message is safe to log (no key material). */
public final class HandshakeFailure extends Exception {
  private final AlertReason reason;

  public HandshakeFailure(AlertReason reason, String detail) {
    super(reason.label() + ": " + detail, null, false, false);
    this.reason = reason;
  }

  public AlertReason reason() {
    return reason;
  }
}
