package io.sscmic.gateway.vertx;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Every use of a Vert.x class outside its public API goes through here, so that a Vert.x upgrade
 * that moves one breaks this file alone. We need them for three reasons: to read and write Netty
 * buffers without the heap copies the public {@link Buffer} API makes (the frame path), to
 * half-close and linger-close a socket (no public API), to put a guard handler into an HTTP
 * connection's pipeline (listener limits), to set IP_TRANSPARENT on a listening socket
 * (transparent interception), and to run the tunnel v2 multiplexer's own Netty channels on
 * Vert.x's event loops and transport (epoll where Vert.x uses it).
 */
public final class VertxInternals {
  private VertxInternals() {
  }

  /** The Netty buffer behind a Vert.x buffer (no copy; the caller must not release it). */
  public static ByteBuf byteBuf(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf();
  }

  /**
   * A Vert.x buffer over a Netty buffer, without a copy. Only for unpooled heap buffers (as the
   * frame path wraps its own arrays): Vert.x does not release the buffer behind a {@code Buffer}
   * it writes, so a pooled one passed here would leak.
   */
  public static Buffer buffer(ByteBuf bytes) {
    return BufferInternal.buffer(bytes);
  }

  public static ChannelHandlerContext channelHandlerContext(NetSocket socket) {
    return ((NetSocketInternal) socket).channelHandlerContext();
  }

  public static Channel channel(NetSocket socket) {
    return channelHandlerContext(socket).channel();
  }

  public static Channel channel(HttpConnection connection) {
    return ((ConnectionBase) connection).channel();
  }


  /**
   * The listening channel of a bound NetServer (the shared server behind it), to set a socket
   * option Vert.x's options do not offer (IP_TRANSPARENT for the interception listener). Read
   * from NetServerImpl's private fields: a Vert.x upgrade that renames them fails here, loudly.
   */
  public static Channel listeningChannel(NetServer server) {
    try {
      java.lang.reflect.Field actual = NetServerImpl.class.getDeclaredField("actualServer");
      actual.setAccessible(true);
      Object main = actual.get(server);
      java.lang.reflect.Field bind = NetServerImpl.class.getDeclaredField("bindFuture");
      bind.setAccessible(true);
      @SuppressWarnings("unchecked")
      io.vertx.core.Future<Channel> f = (io.vertx.core.Future<Channel>) bind.get(main == null ? server : main);
      if (f == null || !f.succeeded()) {
        throw new IllegalStateException("the server is not bound");
      }
      return f.result();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot reach the listening channel of this Vert.x version's NetServer: " + e, e);
    }
  }

  /**
   * A new event-loop context that belongs to no deployment (its resources close with Vert.x, not
   * with a verticle's undeploy): a node's data planes bind their listeners on one such context, so
   * that a reload's new listeners accept on the event loop of the ones they replace.
   */
  public static io.vertx.core.Context eventLoopContext(Vertx vertx) {
    return ((VertxInternal) vertx).createEventLoopContext();
  }

  /** Vert.x's event loops, where the verticles run: the v2 peer connections share them. */
  public static EventLoopGroup eventLoops(Vertx vertx) {
    return ((VertxInternal) vertx).nettyEventLoopGroup();
  }

  /** Client socket channels of Vert.x's transport (epoll or NIO, as Vert.x chose). */
  public static ChannelFactory<? extends Channel> socketChannels(Vertx vertx) {
    return ((VertxInternal) vertx).transport().channelFactory(false);
  }

  /** Server socket channels of Vert.x's transport. */
  public static ChannelFactory<? extends ServerChannel> serverChannels(Vertx vertx) {
    return ((VertxInternal) vertx).transport().serverChannelFactory(false);
  }

  /**
   * Takes an accepted socket away from Vert.x: its handler leaves the pipeline (Vert.x forgets
   * the connection, as it does at a protocol switch), so the caller's Netty handlers own the
   * channel from now on. Call on the socket's event loop.
   */
  public static Channel detach(NetSocket socket) {
    ChannelHandlerContext ctx = channelHandlerContext(socket);
    Channel channel = ctx.channel();
    channel.pipeline().remove(ctx.handler());
    return channel;
  }
}
