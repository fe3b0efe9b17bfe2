package io.sscmic.gateway.tunnel;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.net.NetSocket;
import io.vertx.core.internal.net.NetSocketInternal;

/**
 * TCP half-close and abortive close for plain-side sockets, which Vert.x's NetSocket does not
 * offer ({@code end()} is {@code close()}). A client that shuts down its write side and then
 * waits for the answer (HTTP/1.0, {@code nc -N}, many RPC clients) must keep working through the
 * sidecar, so the peer's FIN becomes an END frame instead of a closed connection.
 *
 * <p>The end of input is delivered as an empty buffer through the socket's own handler, in order
 * after the data already queued while the socket was paused (Vert.x emits channel events out of
 * band, ahead of paused data, so the event itself cannot be used). TCP never delivers an empty
 * read otherwise.
 */
public final class TcpHalfClose {
  private TcpHalfClose() {
  }

  /** Lets the socket stay writable after its peer's FIN and reports that FIN as an empty buffer. */
  public static void enable(NetSocket socket) {
    ChannelHandlerContext ctx = ((NetSocketInternal) socket).channelHandlerContext();
    Channel ch = ctx.channel();
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    ch.pipeline().addBefore(ctx.name(), "sscmic-eof-marker", new EofMarker());
  }

  /** Sends FIN on the socket's write side; reading continues. */
  public static void shutdownOutput(NetSocket socket) {
    Channel ch = ((NetSocketInternal) socket).channelHandlerContext().channel();
    if (ch instanceof DuplexChannel && ch.isActive()) {
      ((DuplexChannel) ch).shutdownOutput();
    }
  }

  /** Closes with RST, so the local application sees a failed stream rather than a clean end. */
  public static void abort(NetSocket socket) {
    Channel ch = ((NetSocketInternal) socket).channelHandlerContext().channel();
    if (ch.isOpen()) {
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
    }
    socket.close();
  }

  private static final class EofMarker extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        ctx.fireChannelRead(Unpooled.EMPTY_BUFFER);
        ctx.fireChannelReadComplete();
        return;
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
