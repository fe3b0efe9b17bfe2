package io.sscmic.gateway.mux;

import io.netty.channel.Channel;

/**
 * The seam below the multiplexer: prepares a fresh peer connection's pipeline (the record layer
 * and handshake in v2, where an SslHandler would sit), before the multiplexer's handlers are
 * added above it. Once the peer is authenticated the layer must fire an {@link AuthenticatedPeer}
 * user event up the pipeline, before it passes up any application byte; after that it passes
 * decrypted {@code ByteBuf}s up and seals those written down. A layer that fails closes the channel.
 */
@FunctionalInterface
public interface SecureLayer {
  /**
   * Adds the layer's handlers to {@code channel}'s pipeline (called in the channel initializer,
   * on the channel's event loop, before the channel is active).
   *
   * @param expectedPeer on the client side the node id the caller expects to reach, or null if it
   *     is unknown; always null on the server side
   */
  void install(Channel channel, Role role, String expectedPeer);
}
