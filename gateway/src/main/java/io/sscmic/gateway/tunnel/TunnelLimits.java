package io.sscmic.gateway.tunnel;

import java.time.Duration;

/**
 * Abuse limits of a sidecar's tunnel: inbound connections open at once, and new inbound
 * handshakes per second from one source address (a token bucket with a burst of twice the rate),
 * both refused as {@code overloaded} before any cryptography is spent; and the idle timeout after
 * which a stream on which nothing moved is closed (zero: never), on both sides.
 */
public record TunnelLimits(int maxConnections, int handshakesPerSecondPerSource, Duration idleTimeout) {
  /** As Envoy's TCP proxy: an hour. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
  /** A peer sidecar opening short connections legitimately reaches over a thousand handshakes a second. */
  public static final TunnelLimits DEFAULTS = new TunnelLimits(10_000, 5_000, DEFAULT_IDLE_TIMEOUT);

  public TunnelLimits {
    if (maxConnections < 1 || handshakesPerSecondPerSource < 1 || idleTimeout.isNegative()) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  public TunnelLimits(int maxConnections, int handshakesPerSecondPerSource) {
    this(maxConnections, handshakesPerSecondPerSource, DEFAULT_IDLE_TIMEOUT);
  }
}
