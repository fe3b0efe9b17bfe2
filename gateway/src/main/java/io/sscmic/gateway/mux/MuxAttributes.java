package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;

/** Channel attributes the multiplexer sets on a peer connection's (parent) channel. */
public final class MuxAttributes {
  /** The authenticated peer node id, set from {@link AuthenticatedPeer} before any stream exists. */
  public static final AttributeKey<String> PEER_NODE_ID =
      AttributeKey.valueOf("io.sscmic.gateway.mux.peerNodeId");

  /**
   * Why the secure layer ended the connection, set by the layer before it closes the channel
   * (a {@link SecureLayer} that knows its reasons, e.g. the record layer's ALERT). The pool's
   * caller receives it as the cause of {@link PeerUnavailableException.Reason#HANDSHAKE_FAILED},
   * also when the layer below authenticated the peer but the peer then refused this node (the
   * client's certificate is checked last, after the client already saw the server's).
   */
  public static final AttributeKey<Throwable> SECURE_LAYER_FAILURE =
      AttributeKey.valueOf("io.sscmic.gateway.mux.secureLayerFailure");

  private MuxAttributes() {
  }

  /** The authenticated node id of the peer on this connection (or its child stream), or null. */
  public static String peerNodeId(Channel channel) {
    Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
    return connection.attr(PEER_NODE_ID).get();
  }
}
