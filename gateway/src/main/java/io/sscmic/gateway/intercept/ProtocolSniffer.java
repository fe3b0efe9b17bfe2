package io.sscmic.gateway.intercept;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Peeks at a captured connection's first bytes to tell its {@link Protocol}, without taking them:
 * it sits at the head of the channel's pipeline, holds what the client sends until it can decide
 * (at most {@link Protocol#MAX_PEEK} bytes) or until {@code timeout} passes with too little, tells
 * {@code decided} (which hands the connection on), and only then passes the held bytes, and a
 * half-close that came meanwhile, on in their order, and leaves the pipeline. Nothing is lost or
 * reordered: the relay that takes over reads them as if they had just arrived.
 */
final class ProtocolSniffer extends ChannelInboundHandlerAdapter {
  /** How the protocol was decided: from the bytes, or by the timeout (too few bytes in time). */
  enum How { SNIFFED, TIMEOUT }

  private final Duration timeout;
  private final BiConsumer<Protocol, How> decided;
  private final Runnable closedFirst;
  private final List<Object> held = new ArrayList<>();
  private CompositeByteBuf peeked;
  private ScheduledFuture<?> timer;
  private boolean done;

  /**
   * @param decided called once, on the channel's event loop, before the held bytes move on
   * @param closedFirst called instead when the connection closes before a decision
   */
  ProtocolSniffer(Duration timeout, BiConsumer<Protocol, How> decided, Runnable closedFirst) {
    this.timeout = timeout;
    this.decided = decided;
    this.closedFirst = closedFirst;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // A client that sends its request and shuts down its write side while we peek must still
    // get its answer: the FIN is held and passed on after the bytes, not turned into a close.
    ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    peeked = ctx.alloc().compositeBuffer();
    timer = ctx.executor().schedule(() -> decide(ctx, Protocol.TCP, How.TIMEOUT), timeout.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (done) {
      ctx.fireChannelRead(msg);
      return;
    }
    held.add(msg);
    if (msg instanceof ByteBuf b && b.isReadable()) {
      peeked.addComponent(true, b.retainedSlice());
      int n = Math.min(peeked.readableBytes(), Protocol.MAX_PEEK);
      byte[] prefix = new byte[n];
      peeked.getBytes(peeked.readerIndex(), prefix);
      Protocol p = Protocol.detect(prefix, n);
      if (p != null) {
        decide(ctx, p, How.SNIFFED);
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (done || !(evt instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    // The client said all it will say: decide from what came (a short, partial pattern is TCP).
    held.add(evt);
    int n = Math.min(peeked.readableBytes(), Protocol.MAX_PEEK);
    byte[] prefix = new byte[n];
    peeked.getBytes(peeked.readerIndex(), prefix);
    Protocol p = Protocol.detect(prefix, n);
    decide(ctx, p == null ? Protocol.TCP : p, How.SNIFFED);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!done) {
      done = true;
      timer.cancel(false);
      release();
      closedFirst.run();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
    if (peeked != null) {
      peeked.release();
      peeked = null;
    }
  }

  private void decide(ChannelHandlerContext ctx, Protocol protocol, How how) {
    if (done) {
      return;
    }
    done = true;
    timer.cancel(false);
    decided.accept(protocol, how);
    List<Object> pending = new ArrayList<>(held);
    held.clear();
    ctx.pipeline().remove(this);
    for (Object o : pending) {
      if (o instanceof ChannelInputShutdownEvent) {
        ctx.fireUserEventTriggered(o);
      } else {
        ctx.fireChannelRead(o);
      }
    }
    if (!pending.isEmpty()) {
      ctx.fireChannelReadComplete();
    }
  }

  private void release() {
    held.forEach(ReferenceCountUtil::release);
    held.clear();
  }
}
