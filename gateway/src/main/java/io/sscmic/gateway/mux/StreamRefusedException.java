package io.sscmic.gateway.mux;

/** The peer answered a stream open with a refusal (a non-2xx {@code :status}). */
public final class StreamRefusedException extends Exception {
  private final RefusalReason reason;
  private final int status;

  public StreamRefusedException(RefusalReason reason, int status, String service) {
    super("stream to service '" + service + "' refused: " + status + " " + reason.token(), null, false,
        false);
    this.reason = reason;
    this.status = status;
  }

  public RefusalReason reason() {
    return reason;
  }

  public int status() {
    return status;
  }
}
