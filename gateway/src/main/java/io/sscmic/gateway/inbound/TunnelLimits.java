package io.sscmic.gateway.inbound;

import io.sscmic.gateway.tunnel.TunnelOptions;
import java.time.Duration;

/**
 * Abuse limits of a sidecar's tunnel: inbound connections open at once (established ones and,
 * in a pool of the same size of their own, ones still in their handshake, so that connections that
 * never send a hello cannot take the slots of members), connections in their handshake at once from
 * one source address, and new inbound
 * handshakes per second from one source address (a token bucket with a burst of twice the rate),
 * both refused as {@code overloaded} before any cryptography is spent; inbound connections open at
 * once from one peer, counted once its hello has verified, so that one member cannot take the
 * whole listener; and the idle timeout after which a stream on which nothing moved is closed
 * (zero: never), on both sides.
 *
 * <p>A peer is its source address: the hello proves membership of the mesh, not which node sent
 * it (docs/SECURITY.md, "Members are all-powerful"), so a node id in it would be a claim any member
 * could vary, while the address is what the kernel saw.
 */
public record TunnelLimits(int maxConnections, int handshakesPerSecondPerSource, Duration idleTimeout,
                           int maxConnectionsPerPeer, int maxHandshakesPerSource) {
  /** As Envoy's TCP proxy: an hour. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = TunnelOptions.DEFAULT_IDLE_TIMEOUT;
  /** A tenth of the listener: a runaway peer leaves room for the others. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 1_000;
  /**
   * Unauthenticated connections from one source at once: enough for a peer's burst of new
   * connections (an HTTP pool opens up to {@code http.max-connections-per-peer}, 64, at once), a
   * small share of the handshake pool for a flood from one address.
   */
  public static final int DEFAULT_MAX_HANDSHAKES_PER_SOURCE = 128;
  /** A peer sidecar opening short connections legitimately reaches over a thousand handshakes a second. */
  public static final TunnelLimits DEFAULTS = new TunnelLimits(10_000, 5_000, DEFAULT_IDLE_TIMEOUT,
      DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_MAX_HANDSHAKES_PER_SOURCE);

  public TunnelLimits {
    if (maxConnections < 1 || handshakesPerSecondPerSource < 1 || idleTimeout.isNegative()
        || maxConnectionsPerPeer < 1 || maxHandshakesPerSource < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  public TunnelLimits(int maxConnections, int handshakesPerSecondPerSource, Duration idleTimeout,
                      int maxConnectionsPerPeer) {
    this(maxConnections, handshakesPerSecondPerSource, idleTimeout, maxConnectionsPerPeer,
        DEFAULT_MAX_HANDSHAKES_PER_SOURCE);
  }

  public TunnelLimits withMaxHandshakesPerSource(int n) {
    return new TunnelLimits(maxConnections, handshakesPerSecondPerSource, idleTimeout, maxConnectionsPerPeer, n);
  }

  public TunnelLimits(int maxConnections, int handshakesPerSecondPerSource, Duration idleTimeout) {
    this(maxConnections, handshakesPerSecondPerSource, idleTimeout, DEFAULT_MAX_CONNECTIONS_PER_PEER);
  }

  public TunnelLimits(int maxConnections, int handshakesPerSecondPerSource) {
    this(maxConnections, handshakesPerSecondPerSource, DEFAULT_IDLE_TIMEOUT);
  }
}
