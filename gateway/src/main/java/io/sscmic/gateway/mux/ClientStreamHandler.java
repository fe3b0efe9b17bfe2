package io.sscmic.gateway.mux;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;

/**
 * First in an opened stream's pipeline: consumes the peer's answer to the CONNECT, completes the
 * stream's {@code accepted} promise, and passes every later frame on.
 */
final class ClientStreamHandler extends ChannelInboundHandlerAdapter {
  private final String service;
  private final Promise<Void> accepted;
  private final MuxMetrics metrics;
  private final MuxMetrics.Peer peer;
  private boolean answered;

  ClientStreamHandler(String service, Promise<Void> accepted, MuxMetrics metrics, MuxMetrics.Peer peer) {
    this.service = service;
    this.accepted = accepted;
    this.metrics = metrics;
    this.peer = peer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (answered) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (msg instanceof Http2HeadersFrame answer) {
      answered = true;
      if (ConnectHeaders.isAccepted(answer.headers())) {
        peer.streamOpened(Role.CLIENT);
        ctx.channel().closeFuture().addListener(f -> peer.streamClosed(Role.CLIENT));
        accepted.trySuccess(null);
      } else {
        int status = ConnectHeaders.status(answer.headers());
        RefusalReason reason = RefusalReason.fromResponse(status, ConnectHeaders.reasonToken(answer.headers()));
        metrics.refused(reason, Role.CLIENT);
        accepted.tryFailure(new StreamRefusedException(reason, status, service));
        ctx.close();
      }
    } else {
      // DATA before the answer breaks the protocol: drop it and reset the stream.
      ReferenceCountUtil.release(msg);
      if (msg instanceof Http2DataFrame) {
        accepted.tryFailure(new StreamResetException(Http2Error.PROTOCOL_ERROR, false, "DATA before the answer"));
        ctx.close();
      }
    }
  }

  /** A peer's RST_STREAM comes as a user event (Http2MultiplexHandler). */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame rst && !answered) {
      Http2Error code = Http2Error.valueOf(rst.errorCode());
      accepted.tryFailure(new StreamResetException(code == null ? Http2Error.INTERNAL_ERROR : code, true,
          "before the answer"));
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    accepted.tryFailure(new StreamResetException(Http2Error.CANCEL, false, "stream closed before the answer"));
    ctx.fireChannelInactive();
  }
}
