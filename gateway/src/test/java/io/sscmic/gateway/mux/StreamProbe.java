package io.sscmic.gateway.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** A test's end of a stream opened with {@link PeerConnection#openStream}: records what arrives, sends on demand. */
final class StreamProbe extends ChannelInboundHandlerAdapter {
  final CompletableFuture<Void> ended = new CompletableFuture<>();
  final CompletableFuture<Http2Error> reset = new CompletableFuture<>();
  final AtomicLong received = new AtomicLong();
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final boolean keep;
  private volatile boolean reading;
  private Http2StreamChannel channel;

  StreamProbe(boolean keep, boolean reading) {
    this.keep = keep;
    this.reading = reading;
  }

  /** Adds the probe behind the stream's answer handler and starts reading (if reading). */
  static StreamProbe attach(MuxStream stream, boolean keep, boolean reading) throws InterruptedException {
    StreamProbe probe = new StreamProbe(keep, reading);
    probe.channel = stream.channel();
    stream.channel().eventLoop().submit(() -> {
      stream.channel().pipeline().addLast(probe);
      if (probe.reading) {
        stream.channel().read();
      }
    }).sync();
    return probe;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2DataFrame data) {
      ByteBuf content = data.content();
      received.addAndGet(content.readableBytes());
      if (keep) {
        synchronized (kept) {
          byte[] b = new byte[content.readableBytes()];
          content.getBytes(content.readerIndex(), b);
          kept.writeBytes(b);
        }
      }
      boolean end = data.isEndStream();
      data.release();
      if (end) {
        ended.complete(null);
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame rst) {
      reset.complete(Http2Error.valueOf(rst.errorCode()));
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (reading) {
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ended.completeExceptionally(new IllegalStateException("stream closed before END_STREAM"));
    reset.completeExceptionally(new IllegalStateException("stream closed without RST_STREAM"));
    ctx.fireChannelInactive();
  }

  /** Starts reading (for a probe created as a slow reader). */
  void startReading() {
    reading = true;
    channel.read();
  }

  void send(String text) {
    send(text.getBytes(StandardCharsets.UTF_8), false);
  }

  void send(byte[] bytes, boolean end) {
    channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(bytes), end));
  }

  void end() {
    channel.writeAndFlush(new DefaultHttp2DataFrame(true));
  }

  String text() {
    synchronized (kept) {
      return kept.toString(StandardCharsets.UTF_8);
    }
  }

  Http2StreamChannel channel() {
    return channel;
  }
}
