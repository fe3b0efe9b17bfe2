package io.sscmic.gateway.http;

import java.util.concurrent.TimeoutException;

/**
 * Why the sidecar answers a request itself instead of the service: a kind that fixes the status
 * and the metrics outcome, and a one-line reason for the client. Failures are classified by type
 * where they happen (no matching of exception messages), and travel as the failure of a Future
 * until the one place that answers them ({@link Answers#fail}).
 */
final class ProxyFailure extends RuntimeException {

  /** Each kind: the status the client gets, and the {@code outcome} label of sscmic_http_requests_total. */
  enum Kind {
    BAD_REQUEST(400, "bad_request"),
    NO_ROUTE(404, "no_route"),
    NO_PEER(503, "no_peer"),
    UPSTREAM(502, "upstream"),
    TIMEOUT(504, "timeout"),
    /**
     * The client left before its answer: nothing is sent (499 is nginx's name for it, in the access
     * log only), and the peer is not blamed.
     */
    CLIENT_GONE(499, "client_gone");

    final int status;
    final String outcome;

    Kind(int status, String outcome) {
      this.status = status;
      this.outcome = outcome;
    }
  }

  private final Kind kind;
  private final String service;

  /** @param service the service the request was for, or "-" before routing knew it */
  ProxyFailure(Kind kind, String service, String reason) {
    // No stack trace: this is an answer, not a bug, and it is made on every failed request.
    super(reason, null, false, false);
    this.kind = kind;
    this.service = service;
  }

  /**
   * A failed exchange with a peer: a timeout of the route (Vert.x fails the request with a
   * {@link TimeoutException} when no response head comes in time) is 504, anything else 502.
   */
  static ProxyFailure exchange(Throwable cause, Target target, String peer) {
    if (cause instanceof ProxyFailure p) {
      return p;
    }
    if (cause instanceof TimeoutException) {
      return new ProxyFailure(Kind.TIMEOUT, target.service(), "service '" + target.service()
          + "' did not answer within " + target.timeout().toMillis() + " ms");
    }
    return new ProxyFailure(Kind.UPSTREAM, target.service(), "peer sidecar " + peer + " for service '"
        + target.service() + "' failed: " + cause.getMessage());
  }

  static ProxyFailure noPeer(String service) {
    return new ProxyFailure(Kind.NO_PEER, service, "no healthy peer for service '" + service + "'");
  }

  Kind kind() {
    return kind;
  }

  int status() {
    return kind.status;
  }

  String outcome() {
    return kind.outcome;
  }

  String service() {
    return service;
  }

  /** Whether another peer may be tried: the peer failed, the route's time did not run out. */
  boolean retriable() {
    return kind == Kind.UPSTREAM;
  }
}
