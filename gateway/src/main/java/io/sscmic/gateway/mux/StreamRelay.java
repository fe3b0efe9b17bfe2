package io.sscmic.gateway.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.io.IOException;

/**
 * Relays bytes between one HTTP/2 stream and one TCP channel (the local service on the receiving
 * node, the application's connection on the calling node), both ways, with back-pressure and
 * half-close.
 *
 * <p>Back-pressure: both channels read only on demand (auto-read off). A side reads again only
 * when the other side is writable; when it is not, the other side's writability change resumes
 * it. A stream's DATA frames are read, and so acknowledged by WINDOW_UPDATE, only as fast as the
 * TCP side takes them, so a slow reader holds at most its stream window in this node and the
 * sender's flow-control window closes: only that stream stalls. The stream channel becomes
 * unwritable when its peer's window for it is spent, which stops reads from the TCP side.
 *
 * <p>Half-close: END_STREAM from the peer becomes a FIN (shutdownOutput) once the bytes before it
 * are written; a FIN from the TCP side becomes END_STREAM. When both have happened the TCP
 * channel closes and the stream closes by itself. Anything else is a reset: a TCP error or close
 * before both ends becomes RST_STREAM (CONNECT_ERROR for an I/O error, CANCEL otherwise), and a
 * RST_STREAM from the peer closes the TCP channel with an RST (SO_LINGER 0).
 *
 * <p>The two channels may live on different event loops (an application connection accepted on
 * another loop): each handler touches only its own channel's state, and crosses to the other
 * channel through Netty's thread-safe channel operations and two volatile flags.
 */
public final class StreamRelay {
  private final Http2StreamChannel stream;
  private final Channel tcp;
  private final MuxMetrics metrics;
  private final Promise<Void> done = ImmediateEventExecutor.INSTANCE.newPromise();
  /** END_STREAM received from the peer (and passed on as FIN). */
  private volatile boolean peerEnded;
  /** FIN received from the TCP side (and passed on as END_STREAM). */
  private volatile boolean tcpEnded;
  /** Our FIN sent on the TCP side, after every byte before it was written. */
  private volatile boolean finSent;
  private final StreamSide streamSide = new StreamSide();
  private final TcpSide tcpSide = new TcpSide();

  private StreamRelay(Http2StreamChannel stream, Channel tcp, MuxMetrics metrics) {
    this.stream = stream;
    this.tcp = tcp;
    this.metrics = metrics;
  }

  /**
   * Starts relaying. Both channels must be open; their auto-read is turned off here. The stream
   * side's handler goes at the end of the stream's pipeline (after any handler that consumed the
   * response HEADERS), the TCP side's at the end of the TCP channel's pipeline.
   */
  public static StreamRelay start(Http2StreamChannel stream, Channel tcp, MuxMetrics metrics) {
    return start(stream, tcp, metrics, null);
  }

  /**
   * As {@link #start(Http2StreamChannel, Channel, MuxMetrics)}, passing on first the frames the
   * stream delivered before the relay existed (early DATA read with the HEADERS), in order.
   * Called on the stream's event loop.
   */
  static StreamRelay start(Http2StreamChannel stream, Channel tcp, MuxMetrics metrics, java.util.Queue<Object> early) {
    StreamRelay relay = new StreamRelay(stream, tcp, metrics);
    stream.config().setAutoRead(false);
    tcp.config().setAutoRead(false);
    tcp.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    stream.pipeline().addLast("sscmic-relay", relay.streamSide);
    tcp.pipeline().addLast("sscmic-relay", relay.tcpSide);
    relay.stream.closeFuture().addListener(f -> relay.streamClosed());
    relay.tcp.closeFuture().addListener(f -> relay.tcpClosed());
    if (early != null) {
      ChannelHandlerContext ctx = stream.pipeline().context(relay.streamSide);
      for (Object frame; (frame = early.poll()) != null; ) {
        relay.streamSide.channelRead(ctx, frame);
      }
      tcp.flush();
    }
    if (!stream.isActive() || !tcp.isActive()) {
      relay.abortBoth(Http2Error.CANCEL);
      return relay;
    }
    stream.read();
    tcp.read();
    return relay;
  }

  /**
   * Starts relaying an application connection whose early bytes {@code early} holds (see
   * {@link EarlyBytes}): the TCP side takes that handler's place in the pipeline (ahead of the
   * framework's handler, which keeps seeing the channel's activity, writability and close) and
   * first passes on what it held, in order. Called on the TCP channel's event loop, so that no
   * read lands between the hand-over and the replay.
   */
  static StreamRelay takeOver(Http2StreamChannel stream, Channel tcp, EarlyBytes early, MuxMetrics metrics) {
    StreamRelay relay = new StreamRelay(stream, tcp, metrics);
    stream.config().setAutoRead(false);
    tcp.config().setAutoRead(false);
    tcp.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    stream.pipeline().addLast("sscmic-relay", relay.streamSide);
    java.util.Queue<Object> held = early.takeAll();
    if (tcp.pipeline().context(early) != null) {
      tcp.pipeline().replace(early, "sscmic-relay", relay.tcpSide);
    } else {
      tcp.pipeline().addLast("sscmic-relay", relay.tcpSide); // closed meanwhile: the checks below abort
    }
    relay.stream.closeFuture().addListener(f -> relay.streamClosed());
    relay.tcp.closeFuture().addListener(f -> relay.tcpClosed());
    ChannelHandlerContext ctx = tcp.pipeline().context(relay.tcpSide);
    for (Object msg; (msg = held.poll()) != null; ) {
      if (ctx == null) {
        io.netty.util.ReferenceCountUtil.release(msg);
      } else if (msg instanceof ByteBuf) {
        relay.tcpSide.channelRead(ctx, msg);
      } else {
        relay.tcpSide.userEventTriggered(ctx, msg);
      }
    }
    stream.flush();
    if (!stream.isActive() || !tcp.isActive()) {
      relay.abortBoth(Http2Error.CANCEL);
      return relay;
    }
    stream.read();
    if (!relay.tcpEnded) {
      tcp.read();
    }
    return relay;
  }

  /** Completes when both channels are closed: successfully after a clean end both ways, else with the reset. */
  public Future<Void> done() {
    return done;
  }

  private void streamClosed() {
    if (!(peerEnded && tcpEnded)) {
      abortTcp();
      done.tryFailure(new StreamResetException(Http2Error.CANCEL, false, "stream closed before both ends"));
    }
    maybeDone();
  }

  private void tcpClosed() {
    if (!(peerEnded && tcpEnded) && stream.isActive()) {
      reset(Http2Error.CANCEL, "local connection closed");
    }
    maybeDone();
  }

  private void maybeDone() {
    if (!stream.isOpen() && !tcp.isOpen()) {
      done.trySuccess(null);
    }
  }

  private void reset(Http2Error code, String why) {
    if (stream.isActive()) {
      metrics.reset(code);
      stream.writeAndFlush(new DefaultHttp2ResetFrame(code));
      stream.close();
    }
    done.tryFailure(new StreamResetException(code, false, why));
  }

  private void abortTcp() {
    if (tcp.isOpen()) {
      tcp.config().setOption(ChannelOption.SO_LINGER, 0);
      tcp.close();
    }
  }

  private void abortBoth(Http2Error code) {
    reset(code, "relay could not start");
    abortTcp();
  }

  private void closeIfBothEnded() {
    if (finSent && tcpEnded) {
      tcp.close();
    }
  }

  /** In the stream's pipeline: DATA to the TCP side. */
  private final class StreamSide extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2DataFrame data) {
        boolean end = data.isEndStream();
        ByteBuf content = data.content();
        if (content.isReadable() && !peerEnded) {
          tcp.write(content); // ownership of the frame's only reference passes to the write
        } else {
          data.release();
        }
        if (end) {
          peerEnded();
        }
      } else if (msg instanceof Http2HeadersFrame headers) {
        if (headers.isEndStream()) { // trailers end the stream like an empty DATA with END_STREAM
          peerEnded();
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    /** Http2MultiplexHandler delivers a peer's RST_STREAM as a user event, at once, whatever the read state. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame rst) {
        Http2Error code = Http2Error.valueOf(rst.errorCode());
        metrics.reset(code == null ? Http2Error.INTERNAL_ERROR : code);
        done.tryFailure(new StreamResetException(code == null ? Http2Error.INTERNAL_ERROR : code, true, null));
        abortTcp();
      }
      ctx.fireUserEventTriggered(evt);
    }

    private void peerEnded() {
      if (peerEnded) {
        return;
      }
      peerEnded = true;
      // An empty write completes after every write before it: only then is FIN safe to send
      // (shutdownOutput fails the writes still queued).
      tcp.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
        if (f.isSuccess() && tcpEnded && tcp.isActive()) {
          // Both directions are done: a plain close sends the FIN. shutdownOutput first would cost
          // a second system call and an exception with its stack trace per connection (Netty fails
          // the outbound buffer with one): about 3 % of a node's CPU at a high connection rate.
          finSent = true;
          tcp.close();
        } else if (f.isSuccess() && tcp instanceof DuplexChannel duplex && tcp.isActive()) {
          duplex.shutdownOutput().addListener(s -> {
            finSent = true;
            closeIfBothEnded();
          });
        } else {
          abortTcp();
        }
      });
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      tcp.flush();
      if (!peerEnded && tcp.isWritable()) {
        ctx.read();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !tcpEnded) {
        tcp.read();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      reset(Http2Error.INTERNAL_ERROR, String.valueOf(cause));
      abortTcp();
    }
  }

  /** In the TCP channel's pipeline: bytes to the stream as DATA. */
  private final class TcpSide extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf bytes && !tcpEnded) {
        stream.write(new DefaultHttp2DataFrame(bytes));
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      stream.flush();
      if (!tcpEnded && stream.isWritable()) {
        ctx.read();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        if (!tcpEnded) {
          tcpEnded = true;
          stream.writeAndFlush(new DefaultHttp2DataFrame(true));
          closeIfBothEnded();
        }
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !peerEnded) {
        stream.read();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // The far TCP connection failed or was reset: the peer learns it as CONNECT_ERROR (RFC 9113 8.5).
      reset(cause instanceof IOException ? Http2Error.CONNECT_ERROR : Http2Error.INTERNAL_ERROR,
          String.valueOf(cause));
      abortTcp();
    }
  }
}
