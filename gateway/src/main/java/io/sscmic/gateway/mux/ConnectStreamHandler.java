package io.sscmic.gateway.mux;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The receiving side of one stream open, in the stream's child channel: checks the CONNECT
 * HEADERS, asks the policy with the caller's authenticated node id, dials the local service on
 * the stream's own event loop, answers 200 and hands over to a {@link StreamRelay}; or refuses
 * with a status and reason (counted) without ever dialling.
 *
 * <p>The stream's auto-read is off: it reads the HEADERS, then nothing more until the relay
 * runs, so early DATA (a caller may send its first bytes right behind the HEADERS) waits in the
 * stream's inbound queue, bounded by the stream window, or in {@link #early} if it arrived in
 * the same read.
 */
final class ConnectStreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = Logger.getLogger(ConnectStreamHandler.class.getName());

  private final StreamAcceptor acceptor;
  private ArrayDeque<Object> early;
  private boolean headersSeen;
  private ChannelFuture dial;

  ConnectStreamHandler(StreamAcceptor acceptor) {
    this.acceptor = acceptor;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read(); // the HEADERS
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!headersSeen && msg instanceof Http2HeadersFrame headers) {
      headersSeen = true;
      open(ctx, headers);
    } else if (headersSeen && (msg instanceof Http2DataFrame || msg instanceof Http2HeadersFrame)) {
      if (early == null) {
        early = new ArrayDeque<>(2);
      }
      early.add(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /** The caller gave up before we answered (RST_STREAM arrives as a user event): drop the dial. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame) {
      if (dial != null) {
        dial.channel().close();
      }
      ctx.close();
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void open(ChannelHandlerContext ctx, Http2HeadersFrame headers) {
    if (RequestStreamHandler.isRequest(headers)) {
      // Issue 16: an HTTP request stream, forwarded to the local service as HTTP (not a TCP stream).
      ArrayDeque<Object> pending = early;
      early = null;
      RequestStreamHandler.takeOver(ctx, headers, acceptor, pending);
      return;
    }
    Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
    String caller = MuxAttributes.peerNodeId(stream);
    String service = ConnectHeaders.serviceOf(headers.headers());
    if (service == null) {
      refuse(ctx, RefusalReason.MALFORMED, "not a CONNECT naming a service: " + headers.headers().method());
      return;
    }
    if (caller == null) { // cannot happen: the multiplexer exists only after authentication
      refuse(ctx, RefusalReason.POLICY, "no authenticated caller on this connection");
      return;
    }
    StreamPolicy.Decision decision = acceptor.policy().check(caller, service);
    if (!decision.allowed()) {
      refuse(ctx, RefusalReason.POLICY, decision.why());
      return;
    }
    SocketAddress address = acceptor.services().addressOf(service);
    if (address == null) {
      refuse(ctx, RefusalReason.UNKNOWN_SERVICE, "no local service '" + service + "'");
      return;
    }
    if (!acceptor.tryReserveOpen()) {
      refuse(ctx, RefusalReason.OVERLOADED, "too many opens waiting for their local dial");
      return;
    }
    dial = new Bootstrap()
        .group(stream.eventLoop())
        .channelFactory(acceptor.localChannels())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) acceptor.dialTimeout().toMillis())
        .handler(new ChannelInboundHandlerAdapter())
        .connect(address);
    dial.addListener((ChannelFuture f) -> {
      acceptor.releaseOpen();
      if (f.isCancelled()) {
        return; // the stream went away first (channelInactive cancelled the dial)
      }
      if (!f.isSuccess()) {
        refuse(ctx, RefusalReason.SERVICE_REFUSED, "local service '" + service + "' at " + address + ": "
            + f.cause());
      } else if (!stream.isActive()) {
        f.channel().close();
      } else {
        accept(ctx, stream, f.channel(), caller);
      }
    });
  }

  private void accept(ChannelHandlerContext ctx, Http2StreamChannel stream, Channel local, String caller) {
    MuxMetrics.Peer peer = acceptor.metrics().peer(caller);
    peer.streamOpened(Role.SERVER);
    stream.closeFuture().addListener(f -> peer.streamClosed(Role.SERVER));
    ctx.writeAndFlush(new DefaultHttp2HeadersFrame(ConnectHeaders.accepted(), false));
    ArrayDeque<Object> pending = early;
    early = null;
    // Out of the pipeline first, so every frame read from now on goes to the relay, after the early ones.
    ctx.pipeline().remove(this);
    StreamRelay.start(stream, local, acceptor.metrics(), pending);
  }

  private void refuse(ChannelHandlerContext ctx, RefusalReason reason, String why) {
    acceptor.metrics().refused(reason, Role.SERVER);
    String caller = MuxAttributes.peerNodeId(ctx.channel());
    if (caller != null) { // an authenticated caller's edge: no label for anyone else
      acceptor.metrics().peer(caller).streamFailed(Role.SERVER);
    }
    // Counted always; logged at FINE only, so a caller hammering a refused service cannot flood the log.
    if (LOG.isLoggable(Level.FINE)) {
      LOG.fine("stream refused: " + reason.status() + " " + reason.token() + " (caller "
          + MuxAttributes.peerNodeId(ctx.channel()) + "): " + why);
    }
    if (ctx.channel().isActive()) {
      ctx.write(new DefaultHttp2HeadersFrame(ConnectHeaders.refused(reason), true));
      // NO_ERROR after a complete answer: the caller need not send the rest (RFC 9113 8.1).
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
    }
    releaseEarly();
  }

  private void releaseEarly() {
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseEarly();
    if (dial != null && !dial.isDone()) {
      dial.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.log(Level.FINE, "stream failed before relaying", cause);
    releaseEarly();
    ctx.close();
  }
}
