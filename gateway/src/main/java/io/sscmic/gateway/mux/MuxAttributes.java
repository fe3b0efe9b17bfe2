package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;

/** Channel attributes the multiplexer sets on a peer connection's (parent) channel. */
public final class MuxAttributes {
  /** The authenticated peer node id, set from {@link AuthenticatedPeer} before any stream exists. */
  public static final AttributeKey<String> PEER_NODE_ID =
      AttributeKey.valueOf("io.sscmic.gateway.mux.peerNodeId");

  private MuxAttributes() {
  }

  /** The authenticated node id of the peer on this connection (or its child stream), or null. */
  public static String peerNodeId(Channel channel) {
    Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
    return connection.attr(PEER_NODE_ID).get();
  }
}
