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
 */
public record TunnelSection(SocketAddress listen, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                            Duration handshakeTimeout, TunnelLimits limits) {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = NodeKeys.TUNNEL_CONNECT_TIMEOUT.defaultValue();
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = NodeKeys.TUNNEL_HANDSHAKE_TIMEOUT.defaultValue();

  public TunnelSection withHandshakeTimeout(Duration d) {
    return new TunnelSection(listen, cipher, provider, connectTimeout, d, limits);
  }

  public TunnelSection withLimits(TunnelLimits l) {
    return new TunnelSection(listen, cipher, provider, connectTimeout, handshakeTimeout, l);
  }

  /** What the inbound tunnel listener and the outbound connections of node {@code nodeId} share. */
  public TunnelOptions options(String nodeId) {
    return new TunnelOptions(nodeId, cipher, provider, connectTimeout, handshakeTimeout, limits.idleTimeout());
  }
}
