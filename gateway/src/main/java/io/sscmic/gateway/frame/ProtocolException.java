package io.sscmic.gateway.frame;

/** A refusal with its reason; the message is safe to log (no key material, no payload). */
public final class ProtocolException extends Exception {
  private final FailureReason reason;

  public ProtocolException(FailureReason reason, String detail) {
    super(reason.description() + ": " + detail, null, false, false);
    this.reason = reason;
  }

  public FailureReason reason() {
    return reason;
  }
}
