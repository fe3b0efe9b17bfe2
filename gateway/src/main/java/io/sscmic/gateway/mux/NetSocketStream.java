package io.sscmic.gateway.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * Relays an accepted Vert.x {@link NetSocket} over a stream, through the socket's public API (so
 * Vert.x keeps its own accounting of the connection), with the same back-pressure and half-close
 * rules as {@link StreamRelay}: the socket is paused while the stream is unwritable, the stream is
 * read only while the socket's write queue has room, a FIN becomes END_STREAM (the socket's
 * end of input arrives as an empty buffer, see {@link TcpHalfClose}), END_STREAM becomes a FIN.
 *
 * <p>Two threads: socket events run on the socket's context, stream events on the peer
 * connection's event loop; each side crosses to the other with {@code runOnContext} or Netty's
 * thread-safe channel operations.
 */
final class NetSocketStream {
  private final NetSocket socket;
  private final Context context;
  private final MuxMetrics metrics;
  private final Promise<Void> done;
  private Http2StreamChannel stream;
  private volatile boolean peerEnded;
  private volatile boolean socketEnded;
  private volatile boolean finSent;

  private NetSocketStream(NetSocket socket, Context context, MuxMetrics metrics, Promise<Void> done) {
    this.socket = socket;
    this.context = context;
    this.metrics = metrics;
    this.done = done;
  }

  /** Call on the socket's context (its connect handler). */
  static Future<Void> relay(PeerPool pool, Endpoint peer, String service, NetSocket socket, MuxMetrics metrics) {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("call on the socket's Vert.x context");
    }
    Promise<Void> done = Promise.promise();
    NetSocketStream bridge = new NetSocketStream(socket, context, metrics, done);
    socket.pause();
    TcpHalfClose.enable(socket);
    socket.closeHandler(v -> bridge.socketClosed());
    socket.exceptionHandler(bridge::socketFailed);
    pool.open(peer, service, io.sscmic.gateway.vertx.VertxInternals.eventLoop(context)).addListener((io.netty.util.concurrent.Future<MuxStream> opened) ->
        context.runOnContext(v -> {
          if (!opened.isSuccess()) {
            TcpHalfClose.abort(socket);
            done.tryFail(opened.cause());
            return;
          }
          bridge.start(opened.getNow());
        }));
    return done.future();
  }

  private void start(MuxStream opened) {
    stream = opened.channel();
    opened.accepted().addListener(a -> {
      if (!a.isSuccess()) {
        done.tryFail(a.cause());
      }
    });
    stream.closeFuture().addListener(f -> context.runOnContext(v -> streamClosed()));
    stream.eventLoop().execute(() -> {
      stream.pipeline().addLast("sscmic-netsocket", new StreamSide());
      stream.read();
    });
    socket.handler(this::fromSocket);
    socket.resume();
  }

  /** On the socket's context: bytes (or, as an empty buffer, the end of input) to the stream. */
  private void fromSocket(Buffer buffer) {
    if (buffer.length() == 0) {
      if (!socketEnded) {
        socketEnded = true;
        stream.writeAndFlush(new DefaultHttp2DataFrame(true));
        closeIfBothEnded();
      }
      return;
    }
    // The socket's buffer is ours only for this call: the extra reference is the one the write releases.
    ByteBuf bytes = VertxInternals.byteBuf(buffer).retain();
    stream.writeAndFlush(new DefaultHttp2DataFrame(bytes));
    if (!stream.isWritable()) {
      socket.pause(); // resumed by the stream's writability change (queued after this task)
    }
  }

  private void closeIfBothEnded() {
    if (finSent && socketEnded) {
      socket.close();
    }
  }

  private void socketClosed() {
    if (!(peerEnded && socketEnded) && stream != null && stream.isActive()) {
      metrics.reset(Http2Error.CANCEL);
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
      stream.close();
      done.tryFail(new StreamResetException(Http2Error.CANCEL, false, "application connection closed"));
    }
    if (stream == null || !stream.isOpen()) {
      done.tryComplete();
    }
  }

  private void socketFailed(Throwable cause) {
    if (stream != null && stream.isActive()) {
      metrics.reset(Http2Error.CONNECT_ERROR);
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CONNECT_ERROR));
      stream.close();
    }
    done.tryFail(new StreamResetException(Http2Error.CONNECT_ERROR, false, String.valueOf(cause)));
    TcpHalfClose.abort(socket);
  }

  private void streamClosed() {
    if (!(peerEnded && socketEnded)) {
      done.tryFail(new StreamResetException(Http2Error.CANCEL, false, "stream closed before both ends"));
      TcpHalfClose.abort(socket);
    } else {
      done.tryComplete();
    }
  }

  /** On the stream's event loop. */
  private final class StreamSide extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2DataFrame data) {
        boolean end = data.isEndStream();
        if (data.content().isReadable()) {
          // Vert.x never releases the Netty buffer behind a Buffer it writes (it assumes unpooled heap
          // memory), so the frame's pooled bytes are copied into one and released here. One copy:
          // Buffer.buffer(ByteBufUtil.getBytes(...)) made two, 2.2 bytes of garbage per byte relayed.
          Buffer buffer = VertxInternals.copyOf(data.content());
          context.runOnContext(v -> socket.write(buffer));
        }
        data.release();
        if (end) {
          peerEnded();
        }
      } else if (msg instanceof Http2HeadersFrame headers && headers.isEndStream()) {
        peerEnded();
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    private void peerEnded() {
      if (peerEnded) {
        return;
      }
      peerEnded = true;
      context.runOnContext(v -> {
        // Behind every write queued before it: FIN only once they are out.
        Channel ch = VertxInternals.channel(socket);
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
          if (f.isSuccess() && ch instanceof DuplexChannel duplex && ch.isActive()) {
            duplex.shutdownOutput().addListener(s -> context.runOnContext(x -> {
              finSent = true;
              closeIfBothEnded();
            }));
          }
        });
      });
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (peerEnded) {
        return;
      }
      context.runOnContext(v -> {
        if (!socket.writeQueueFull()) {
          stream.read();
        } else {
          socket.drainHandler(x -> stream.read());
        }
      });
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !socketEnded) {
        context.runOnContext(v -> socket.resume());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame rst) {
        Http2Error code = Http2Error.valueOf(rst.errorCode());
        metrics.reset(code == null ? Http2Error.INTERNAL_ERROR : code);
        done.tryFail(new StreamResetException(code == null ? Http2Error.INTERNAL_ERROR : code, true, null));
        context.runOnContext(v -> TcpHalfClose.abort(socket));
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
