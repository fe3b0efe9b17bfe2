package io.sscmic.gateway.mux;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A request stream (issue 16): a stream whose HEADERS are an ordinary HTTP request (a method other
 * than CONNECT, with {@code :path}), not a CONNECT for a TCP stream. {@code :authority} names the
 * local service (its host part; a port is ignored). After the same checks as a CONNECT (policy
 * with the caller's authenticated node id, a known service, a pending-open slot), the receiving
 * node dials the service and forwards the request in the protocol that service speaks. Today that
 * is HTTP/1.1: Netty's {@link Http2StreamFrameToHttpObjectCodec} turns the stream's frames into an
 * HTTP/1.1 request on a fresh connection to the service and its response back into frames, so the
 * caller never parses HTTP/1 and the sidecar hop carries HTTP/2. One local connection per request
 * stream (as one per CONNECT stream), closed once the response has ended.
 *
 * <p>Refusals answer as a CONNECT's do: the status and {@value RefusalReason#HEADER}, END_STREAM.
 */
final class RequestStreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = Logger.getLogger(RequestStreamHandler.class.getName());

  private final StreamAcceptor acceptor;
  private final boolean h2c;

  private RequestStreamHandler(StreamAcceptor acceptor, boolean h2c) {
    this.acceptor = acceptor;
    this.h2c = h2c;
  }

  /** Whether {@code headers} open a request stream rather than a CONNECT. */
  static boolean isRequest(Http2HeadersFrame headers) {
    CharSequence method = headers.headers().method();
    return method != null && !"CONNECT".contentEquals(method) && headers.headers().path() != null;
  }

  /** The service a request stream names: {@code :authority} without a port, or null. */
  static String serviceOf(Http2HeadersFrame headers) {
    CharSequence authority = headers.headers().authority();
    if (authority == null) {
      return null;
    }
    String a = authority.toString();
    int colon = a.lastIndexOf(':');
    String host = colon > 0 && a.indexOf(']') < colon ? a.substring(0, colon) : a;
    return ConnectHeaders.isServiceName(host) ? host : null;
  }

  /**
   * Takes over the stream from {@code ctx}'s handler (the CONNECT handler, which read the HEADERS).
   *
   * @param early frames that arrived behind the HEADERS before this point, or null
   */
  static void takeOver(ChannelHandlerContext ctx, Http2HeadersFrame headers, StreamAcceptor acceptor,
                       ArrayDeque<Object> early) {
    Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
    String caller = MuxAttributes.peerNodeId(stream);
    String service = serviceOf(headers);
    RefusalReason refusal = null;
    String why = null;
    SocketAddress address = null;
    if (service == null) {
      refusal = RefusalReason.MALFORMED;
      why = "a request whose :authority is not a service name: " + headers.headers().authority();
    } else if (caller == null) {
      refusal = RefusalReason.POLICY;
      why = "no authenticated caller on this connection";
    } else {
      StreamPolicy.Decision decision = acceptor.policy().check(caller, service);
      address = acceptor.services().addressOf(service);
      if (!decision.allowed()) {
        refusal = RefusalReason.POLICY;
        why = decision.why();
      } else if (address == null) {
        refusal = RefusalReason.UNKNOWN_SERVICE;
        why = "no local service '" + service + "'";
      } else if (!acceptor.tryReserveOpen()) {
        refusal = RefusalReason.OVERLOADED;
        why = "too many opens waiting for their local dial";
      }
    }
    if (refusal != null) {
      refuse(stream, acceptor, refusal, why, caller);
      ReferenceCountUtil.release(headers);
      if (early != null) {
        early.forEach(ReferenceCountUtil::release);
      }
      return;
    }
    CharSequence protocol = headers.headers().getAndRemove(ConnectHeaders.PROTOCOL);
    RequestStreamHandler handler = new RequestStreamHandler(acceptor, protocol != null
        && "h2c".contentEquals(protocol));
    if (early != null) {
      handler.waiting.addAll(early);
    }
    ctx.pipeline().replace(ctx.handler(), "sscmic-request", handler);
    handler.dial(stream, headers, service, address, caller);
  }

  private void dial(Http2StreamChannel stream, Http2HeadersFrame headers, String service, SocketAddress address,
                    String caller) {
    this.address = address;
    stream.closeFuture().addListener(f -> {
      // The stream ended before its exchange did: the service's connection is in an unknown state.
      if (local != null && !released) {
        local.close();
      }
    });
    Channel kept = h2c ? null : acceptor.http1().take(stream.eventLoop(), address);
    if (kept != null) {
      acceptor.releaseOpen();
      kept.pipeline().addLast("responses", new Responses(stream, this));
      relayRequest(stream, headers, kept, caller);
      return;
    }
    Bootstrap bootstrap = new Bootstrap()
        .group(stream.eventLoop())
        .channelFactory(acceptor.localChannels())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) acceptor.dialTimeout().toMillis())
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel local) {
            if (h2c) {
              local.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient().build());
              local.pipeline().addLast("streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            } else {
              local.pipeline().addLast("http", new HttpClientCodec());
              local.pipeline().addLast("responses", new Responses(stream, RequestStreamHandler.this));
            }
          }
        });
    ChannelFuture dial = h2c ? acceptor.h2c().connect(stream.eventLoop(), address, () -> bootstrap.connect(address))
        : bootstrap.connect(address);
    stream.closeFuture().addListener(f -> {
      if (!h2c && !dial.isDone()) { // an h2c connection is shared: only this stream on it ends
        dial.cancel(false);
      }
    });
    dial.addListener((ChannelFuture f) -> {
      acceptor.releaseOpen();
      if (f.isCancelled()) {
        ReferenceCountUtil.release(headers);
        releaseWaiting();
        return;
      }
      if (!f.isSuccess() || !stream.isActive()) {
        ReferenceCountUtil.release(headers);
        releaseWaiting();
        if (!f.isSuccess()) {
          refuse(stream, acceptor, RefusalReason.SERVICE_REFUSED, "local service '" + service + "' at " + address
              + ": " + f.cause(), caller);
        } else if (!h2c) {
          f.channel().close();
        }
        return;
      }
      if (h2c) {
        opened(stream, caller);
        // Netty completes the connect promise before it fires channelActive, where the codec writes
        // the connection preface: a stream's HEADERS written now would go out ahead of it.
        f.channel().eventLoop().execute(() -> openLocalStream(stream, headers, f.channel()));
        return;
      }
      relayRequest(stream, headers, f.channel(), caller);
    });
  }

  private void opened(Http2StreamChannel stream, String caller) {
    MuxMetrics.Peer peer = acceptor.metrics().peer(caller);
    peer.streamOpened(Role.SERVER);
    stream.closeFuture().addListener(c -> peer.streamClosed(Role.SERVER));
  }

  /** HTTP/1.1: the request goes to the service on {@code connection} (fresh, or kept from an earlier exchange). */
  private void relayRequest(Http2StreamChannel stream, Http2HeadersFrame headers, Channel connection, String caller) {
    opened(stream, caller);
    local = connection;
    // From here the stream's frames are HTTP/1 objects for the service, and its answer frames again.
    stream.pipeline().addBefore("sscmic-request", "sscmic-h2-to-http1", new Http2StreamFrameToHttpObjectCodec(true));
    stream.pipeline().fireChannelRead(headers);
    while (!waiting.isEmpty()) {
      stream.pipeline().fireChannelRead(waiting.poll());
    }
    stream.pipeline().fireChannelReadComplete();
    stream.config().setAutoRead(true);
  }

  /**
   * h2c: one stream on the fresh HTTP/2 connection to the service carries the request; frames are
   * relayed as they are (HEADERS, DATA, trailers, resets), with back-pressure by each side's
   * writability, so gRPC's streaming and trailers pass intact.
   */
  private void openLocalStream(Http2StreamChannel stream, Http2HeadersFrame headers, Channel connection) {
    new Http2StreamChannelBootstrap(connection).handler(new H2Responses(stream)).open()
        .addListener((io.netty.util.concurrent.Future<Http2StreamChannel> o) -> {
          if (!o.isSuccess() || !stream.isActive()) {
            ReferenceCountUtil.release(headers);
            releaseWaiting();
            stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
            return;
          }
          localStream = o.getNow();
          localStream.write(new DefaultHttp2HeadersFrame(headers.headers(), headers.isEndStream()));
          while (!waiting.isEmpty()) {
            relayToService(stream, waiting.poll());
          }
          localStream.flush();
          stream.config().setAutoRead(true);
        });
  }

  private void relayToService(Channel stream, Object msg) {
    Object out = copyFrame(msg);
    if (out == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    localStream.write(out);
    if (out instanceof Http2HeadersFrame || endsStream(out)) {
      localStream.flush();
    }
    pauseWhileFull(stream, localStream);
  }

  /**
   * A DATA or HEADERS frame of one stream as a frame for another (a stream frame names its stream:
   * the copy takes the stream it is written to), or null for any other message.
   */
  private static Object copyFrame(Object msg) {
    if (msg instanceof Http2DataFrame d) {
      return new DefaultHttp2DataFrame(d.content(), d.isEndStream(), d.padding());
    }
    if (msg instanceof Http2HeadersFrame h) {
      return new DefaultHttp2HeadersFrame(h.headers(), h.isEndStream());
    }
    return null;
  }

  private static boolean endsStream(Object frame) {
    return frame instanceof Http2DataFrame d ? d.isEndStream() : ((Http2HeadersFrame) frame).isEndStream();
  }

  /**
   * After a write into {@code to}: while {@code to} can take no more, {@code from} is not read (the
   * writability event of {@code to}'s handler resumes it). Pause first, then flush: a flush that
   * drains at once fires the writability event right here.
   */
  private static void pauseWhileFull(Channel from, Channel to) {
    if (!to.isWritable()) {
      from.config().setAutoRead(false);
      to.flush();
      if (to.isWritable()) {
        from.config().setAutoRead(true);
      }
    }
  }

  private Channel local;
  private SocketAddress address;
  /** The whole request was written to the service (HTTP/1.1): with the answer's end, the connection may be kept. */
  private boolean requestSent;
  /** The HTTP/1.1 connection went back to the pool: it is no longer this stream's to close. */
  private boolean released;
  private Http2StreamChannel localStream;
  /** Frames behind the HEADERS that came before the service's connection was up; they go first. */
  private final ArrayDeque<Object> waiting = new ArrayDeque<>(2);

  private void releaseWaiting() {
    waiting.forEach(ReferenceCountUtil::release);
    waiting.clear();
  }

  /** The request, as HTTP/1 objects from the codec: on to the service, with back-pressure. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (h2c) {
      if (localStream == null) {
        waiting.add(msg);
      } else if (!localStream.isActive()) {
        ReferenceCountUtil.release(msg);
      } else {
        relayToService(ctx.channel(), msg);
      }
      return;
    }
    if (local == null) {
      waiting.add(msg);
      return;
    }
    if (!(msg instanceof HttpObject) || released || !local.isActive()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest req) {
      // Keep-alive (HTTP/1.1's default; HTTP/2 carries no Connection header): the connection is
      // kept for the next request stream once this exchange has ended cleanly.
      if (!req.headers().contains(HttpHeaderNames.HOST) && req.headers().contains("x-http2-authority")) {
        req.headers().set(HttpHeaderNames.HOST, req.headers().get("x-http2-authority"));
      }
    }
    local.write(msg);
    if (msg instanceof LastHttpContent) {
      requestSent = true;
      local.flush();
    } else {
      pauseWhileFull(ctx.channel(), local);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (local != null && !released) {
      local.flush();
    }
    if (localStream != null) {
      localStream.flush();
    }
  }

  /** The caller reset the stream: the local request is abandoned. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame && local != null && !released) {
      local.close();
    }
    if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame && localStream != null) {
      localStream.close(); // RST_STREAM CANCEL to the service: a gRPC cancel reaches it
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (local != null && !released && ctx.channel().isWritable()) {
      local.config().setAutoRead(true);
    }
    if (localStream != null && ctx.channel().isWritable()) {
      localStream.config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseWaiting();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.log(Level.FINE, "request stream failed", cause);
    if (local != null && !released) {
      local.close();
    }
    if (localStream != null) {
      localStream.close();
    }
    ctx.close();
  }

  /**
   * The answer's direction, as the handler of the service's channel (its HTTP/1 connection or its
   * h2c stream): what that channel reads goes back into the request stream, in the way a subclass
   * says. While the request stream can take no more the service's channel is not read; when the
   * service's channel can take more again, the request stream reads on (the request's direction
   * paused it).
   */
  private abstract static class Direction extends ChannelInboundHandlerAdapter {
    final Http2StreamChannel stream;
    /** The answer has ended (or was reset): the service's channel closing is no loss. */
    boolean ended;
    private final String failure;

    Direction(Http2StreamChannel stream, String failure) {
      this.stream = stream;
      this.failure = failure;
    }

    /** Writes {@code out} into the request stream, which the service's channel then may not outrun. */
    final void forward(ChannelHandlerContext ctx, Object out) {
      stream.write(out);
      pauseWhileFull(ctx.channel(), stream);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      stream.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && stream.isActive()) {
        stream.config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    /** The service went away before its answer ended: the caller learns it by a reset, not a short body. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!ended && stream.isActive()) {
        stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
      } else {
        stream.flush();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.FINE, failure, cause);
      ctx.close();
    }
  }

  /** h2c: the service's frames on its stream, back into the request stream as they are. */
  private static final class H2Responses extends Direction {
    H2Responses(Http2StreamChannel stream) {
      super(stream, "local h2c service failed a request stream");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Object out = copyFrame(msg);
      if (out == null) {
        ReferenceCountUtil.release(msg);
        return;
      }
      ended |= endsStream(out);
      if (!stream.isActive()) {
        ReferenceCountUtil.release(out);
        return;
      }
      if (ended) {
        // The service's stream closes with its last frame, before any read-complete would flush.
        stream.writeAndFlush(out);
        return;
      }
      forward(ctx, out);
    }

    /** The service reset its stream: the caller's stream is reset with the same code. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame rst && stream.isActive()) {
        ended = true;
        stream.writeAndFlush(new DefaultHttp2ResetFrame(rst.errorCode()));
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  /**
   * The service's response, as HTTP/1 objects: back into the stream (the codec makes frames of
   * them). At its end the connection goes back to the pool when the exchange was clean, else it
   * closes.
   */
  private static final class Responses extends Direction {
    private final RequestStreamHandler exchange;
    /** The final (not 1xx) response allows the connection to be kept. */
    private boolean keepAlive;

    Responses(Http2StreamChannel stream, RequestStreamHandler exchange) {
      super(stream, "local service failed a request stream");
      this.exchange = exchange;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof HttpObject) || ended || !stream.isActive()) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
        keepAlive = HttpUtil.isKeepAlive(response);
      }
      if (msg instanceof LastHttpContent) {
        ended = true;
        stream.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (keepAlive && exchange.requestSent && ctx.channel().isActive()) {
          exchange.released = true;
          ctx.pipeline().remove(this);
          exchange.acceptor.http1().release(exchange.address, ctx.channel());
        } else {
          ctx.close();
        }
        return;
      }
      forward(ctx, msg);
    }
  }

  private static void refuse(Http2StreamChannel stream, StreamAcceptor acceptor, RefusalReason reason, String why,
                             String caller) {
    acceptor.metrics().refused(reason, Role.SERVER);
    if (caller != null) { // an authenticated caller's edge: no label for anyone else
      acceptor.metrics().peer(caller).streamFailed(Role.SERVER);
    }
    if (LOG.isLoggable(Level.FINE)) {
      LOG.fine("request stream refused: " + reason.status() + " " + reason.token() + " (caller " + caller + "): " + why);
    }
    if (stream.isActive()) {
      stream.write(new DefaultHttp2HeadersFrame(ConnectHeaders.refused(reason), true));
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
    }
  }
}
