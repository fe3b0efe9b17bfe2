package io.sscmic.gateway.http;

import java.time.Duration;

/**
 * Limits of the HTTP listener that local clients talk to, so that a misbehaving or hostile client
 * on the host cannot hold the sidecar's memory, sockets or file descriptors.
 *
 * @param maxHeaderSize bytes of request headers (all lines together); more is answered 431
 * @param maxInitialLineLength bytes of the request line; more is answered 414
 * @param headerTimeout from a connection's first byte (or its opening) to the end of a request's
 *     headers; slower is answered 408 and closed (slow loris)
 * @param idleTimeout a keep-alive connection with no request in progress is closed after this
 *     (zero: never); a request in progress is bounded by the route timeout instead
 * @param maxClientConnections connections open at once; more are answered 503 and closed
 */
public record ListenerLimits(int maxHeaderSize, int maxInitialLineLength, Duration headerTimeout,
                             Duration idleTimeout, int maxClientConnections) {
  /** As nginx's large_client_header_buffers (8k) and Vert.x's default initial line (4096). */
  public static final ListenerLimits DEFAULTS = new ListenerLimits(8 * 1024, 4096, Duration.ofSeconds(10),
      Duration.ofSeconds(60), 1024);

  public ListenerLimits {
    if (maxHeaderSize < 1 || maxInitialLineLength < 1 || maxClientConnections < 1 || headerTimeout.isNegative()
        || headerTimeout.isZero() || idleTimeout.isNegative()) {
      throw new IllegalArgumentException("listener limits must be positive");
    }
  }
}
