package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * A {@link SecureLayer} with NO security: no encryption and no authentication. On activation it
 * fires {@link AuthenticatedPeer} naming the identity the local code declares for the other end
 * (never anything read from the wire). It exists so the multiplexer can be tested and measured
 * over a plain pipeline before the record layer sits below it; never use it between nodes.
 */
public final class DeclaredIdentityLayer implements SecureLayer {
  private final String clientSeesServerAs;
  private final String serverSeesClientAs;

  /**
   * @param clientSeesServerAs the peer node id a client-side connection reports
   * @param serverSeesClientAs the caller node id a server-side connection reports
   */
  public DeclaredIdentityLayer(String clientSeesServerAs, String serverSeesClientAs) {
    this.clientSeesServerAs = clientSeesServerAs;
    this.serverSeesClientAs = serverSeesClientAs;
  }

  @Override
  public void install(Channel channel, Role role, String expectedPeer) {
    String peer = role == Role.CLIENT ? clientSeesServerAs : serverSeesClientAs;
    channel.pipeline().addLast("declared-identity", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        ctx.fireUserEventTriggered(AuthenticatedPeer.of(peer));
        ctx.pipeline().remove(this);
      }
    });
  }
}
