package io.sscmic.gateway.config;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;

/**
 * The {@code tunnel} section: the inbound tunnel listener and what every tunnel of the node uses.
 *
 * @param listen the inbound tunnel listener, or null for a node that only sends
 * @param limits abuse limits of the inbound listener, and the idle timeout of every stream
 * @param eventLoops how many event loops each of the node's listeners accepts on
 */
public record TunnelSection(SocketAddress listen, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                            Duration handshakeTimeout, TunnelLimits limits, int eventLoops) {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = NodeKeys.TUNNEL_CONNECT_TIMEOUT.defaultValue();
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = NodeKeys.TUNNEL_HANDSHAKE_TIMEOUT.defaultValue();
  /** More loops than this gain nothing for a sidecar beside one service and cost a thread each. */
  public static final int MAX_AUTO_EVENT_LOOPS = 4;

  public TunnelSection {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("tunnel.event-loops must be at least 1, got " + eventLoops);
    }
  }

  /** With the default number of event loops ({@link #autoEventLoops()}). */
  public TunnelSection(SocketAddress listen, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                       Duration handshakeTimeout, TunnelLimits limits) {
    this(listen, cipher, provider, connectTimeout, handshakeTimeout, limits, autoEventLoops());
  }

  /** {@code auto}: one loop per core, at most {@value #MAX_AUTO_EVENT_LOOPS}. */
  public static int autoEventLoops() {
    return Math.min(Runtime.getRuntime().availableProcessors(), MAX_AUTO_EVENT_LOOPS);
  }

  /** The value of {@code tunnel.event-loops}: {@code auto} or a whole number from 1 to 64. */
  static int parseEventLoops(String value) {
    if ("auto".equals(value)) {
      return autoEventLoops();
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 64) {
        return n;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException("expected auto or a whole number from 1 to 64, got '" + value + "'");
  }

  public TunnelSection withHandshakeTimeout(Duration d) {
    return new TunnelSection(listen, cipher, provider, connectTimeout, d, limits, eventLoops);
  }

  public TunnelSection withLimits(TunnelLimits l) {
    return new TunnelSection(listen, cipher, provider, connectTimeout, handshakeTimeout, l, eventLoops);
  }

  public TunnelSection withEventLoops(int n) {
    return new TunnelSection(listen, cipher, provider, connectTimeout, handshakeTimeout, limits, n);
  }

  /** What the inbound tunnel listener and the outbound connections of node {@code nodeId} share. */
  public TunnelOptions options(String nodeId) {
    return new TunnelOptions(nodeId, cipher, provider, connectTimeout, handshakeTimeout, limits.idleTimeout(),
        eventLoops);
  }
}
