package io.sscmic.gateway.mux;

import java.util.Locale;

/**
 * Why the receiving node refused a stream open: the response's {@code :status} and the token in
 * its {@value #HEADER} header. The token is the metrics label, so the set is closed.
 */
public enum RefusalReason {
  /** The HEADERS were not a CONNECT naming a service. */
  MALFORMED(400),
  /** The policy does not let the caller node reach this service. */
  POLICY(403),
  /** This node serves no service of that name. */
  UNKNOWN_SERVICE(404),
  /** The local service refused the connection or did not answer in time. */
  SERVICE_REFUSED(502),
  /** Too many opens waiting for their local dial, or the node is shutting down. */
  OVERLOADED(503);

  /** The response header carrying the reason token. */
  public static final String HEADER = "sscmic-reason";

  private final int status;

  RefusalReason(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** The lower-case token sent on the wire and used as a metrics label. */
  public String token() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The reason a response names: its token if it is one we know, else the one its status implies
   * (a peer of a later version may add tokens).
   */
  public static RefusalReason fromResponse(int status, CharSequence token) {
    if (token != null) {
      for (RefusalReason r : values()) {
        if (r.token().contentEquals(token)) {
          return r;
        }
      }
    }
    for (RefusalReason r : values()) {
      if (r.status == status) {
        return r;
      }
    }
    return status >= 500 ? SERVICE_REFUSED : MALFORMED;
  }
}
