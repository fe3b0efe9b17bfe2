package io.sscmic.gateway.mux;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsAckFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Last in a peer connection's pipeline, for the connection-level frames the multiplexer passes
 * up: sends an HTTP/2 PING every interval and closes the connection when a PING stays unanswered
 * for a whole interval (a dead peer or path, found before a stream needs it); reports GOAWAY so
 * the pool stops placing streams on the connection; reports the peer's SETTINGS (the codec has
 * already applied them), after which the peer's stream limit is known.
 */
final class KeepAlive extends ChannelInboundHandlerAdapter {
  private final long intervalNanos;
  private final Consumer<Http2GoAwayFrame> onGoAway;
  private final Runnable onSettings;
  private ScheduledFuture<?> timer;
  private long outstanding = -1; // the payload of the PING awaiting its ACK, or -1
  private long nextPayload = 1;

  KeepAlive(Duration interval, Consumer<Http2GoAwayFrame> onGoAway, Runnable onSettings) {
    this.intervalNanos = interval.toNanos();
    this.onGoAway = onGoAway;
    this.onSettings = onSettings;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (intervalNanos > 0) {
      timer = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void tick(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (outstanding != -1) {
      ctx.close(); // no ACK for a whole interval
      return;
    }
    outstanding = nextPayload++;
    ctx.writeAndFlush(new DefaultHttp2PingFrame(outstanding));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2PingFrame ping) {
      if (ping.ack() && ping.content() == outstanding) {
        outstanding = -1;
      }
    } else if (msg instanceof Http2GoAwayFrame goAway) {
      onGoAway.accept(goAway);
    } else if (msg instanceof Http2SettingsFrame) {
      onSettings.run(); // the codec has applied them (the peer's stream limit among them); idempotent
    } else if (!(msg instanceof Http2SettingsAckFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // The codec has already answered connection errors with GOAWAY; whatever else reaches here ends the connection.
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
