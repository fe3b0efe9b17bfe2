package io.sscmic.gateway.vertx;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Every use of a Vert.x class outside its public API goes through here, so that a Vert.x upgrade
 * that moves one breaks this file alone. We need them for three reasons: to read and write Netty
 * buffers without the heap copies the public {@link Buffer} API makes (the frame path), to
 * half-close and linger-close a socket (no public API), and to put a guard handler into an HTTP
 * connection's pipeline (listener limits).
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
}
