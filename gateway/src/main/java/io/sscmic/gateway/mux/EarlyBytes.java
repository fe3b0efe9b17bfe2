package io.sscmic.gateway.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Holds what an accepted application connection sends before its stream is open: its first bytes
 * and, for a client that writes and closes at once, its end of input. Installed in the connect
 * handler, on the channel's event loop, ahead of the framework's own handler (Vert.x's), so that
 * nothing reaches the framework's socket: a relay that attached only once the stream opened lost
 * whatever Vert.x had queued meanwhile. {@link StreamRelay} takes the held messages over in order
 * when it replaces this handler.
 *
 * <p>Bounded: past {@link #LIMIT} bytes held, reading stops (auto-read off) until the relay starts,
 * as the stream's flow-control window would stop it once open.
 */
final class EarlyBytes extends ChannelInboundHandlerAdapter {
  static final String NAME = "sscmic-early-bytes";
  /** One stream window's worth is more than a client sends before an answer in any protocol we carry. */
  static final int LIMIT = 64 * 1024;

  private final Queue<Object> held = new ArrayDeque<>();
  private int bytes;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      held.add(buf);
      bytes += buf.readableBytes();
      if (bytes >= LIMIT) {
        ctx.channel().config().setAutoRead(false);
      }
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      held.add(evt); // the application's FIN: the relay turns it into END_STREAM after the bytes
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** Hands over everything held, in arrival order; called on the channel's event loop. */
  Queue<Object> takeAll() {
    Queue<Object> out = new ArrayDeque<>(held);
    held.clear();
    bytes = 0;
    return out;
  }

  /** The connection closed, or its open failed, before a relay took the bytes over: they are freed. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    for (Object o; (o = held.poll()) != null; ) {
      ReferenceCountUtil.release(o);
    }
  }
}
