package io.sscmic.gateway.tunnel;

/**
 * Abuse limits of the inbound tunnel listener: connections open at once, and new handshakes per
 * second from one source address (a token bucket with a burst of twice the rate). A connection
 * over either limit is refused as {@code overloaded} before any cryptography is spent on it.
 */
public record TunnelLimits(int maxConnections, int handshakesPerSecondPerSource) {
  /** A peer sidecar opening short connections legitimately reaches over a thousand handshakes a second. */
  public static final TunnelLimits DEFAULTS = new TunnelLimits(10_000, 5_000);

  public TunnelLimits {
    if (maxConnections < 1 || handshakesPerSecondPerSource < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }
}
