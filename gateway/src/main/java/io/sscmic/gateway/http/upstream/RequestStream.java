package io.sscmic.gateway.http.upstream;

import io.sscmic.gateway.vertx.VertxInternals;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.mux.RefusalReason;
import io.sscmic.gateway.mux.ConnectHeaders;
import io.sscmic.gateway.mux.StreamRefusedException;
import io.sscmic.gateway.mux.StreamResetException;
import io.sscmic.gateway.resolve.Endpoint;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * One forwarded request as a request stream on the node's v2 peer pool (issue 16): the request's
 * head becomes the stream's HEADERS ({@code :authority} = the service, which the receiving node's
 * {@code RequestStreamHandler} forwards to its local service in the protocol this side names), the client's body its DATA frames,
 * and the peer's answer (HEADERS, DATA, trailers) an {@link OriginResponse}. No loopback listener
 * and no HTTP/1 parse on the calling side.
 *
 * <p>Threads: the stream's frames arrive on its connection's event loop, which is Netty's, not the
 * request's Vert.x context; every event is handed to that context in order
 * ({@link Context#runOnContext}), so the state below is confined to it. Back-pressure both ways:
 * the stream has auto-read off and is read again only while the relay is not paused (HTTP/2 flow
 * control then holds the peer), and the client's body is paused while the stream is not writable
 * (its flow-control window is spent) and resumed when it is again.
 *
 * <p>Failures before the head: the pool's {@code PeerUnavailableException} (no connection),
 * {@link StreamRefusedException} (the peer refused the stream: policy, unknown service, its dial
 * to the service failed), {@link StreamResetException}, or a {@link TimeoutException} when no head
 * came within the route's time. After the head, a reset or a stream closed early reaches the
 * exception handler, so a short body is never taken for a whole one.
 */
public final class RequestStream implements OriginResponse {
  /** Connection-specific headers HTTP/2 forbids (RFC 9113 8.2.2); {@code te} passes only as "trailers". */
  private static final Set<String> CONNECTION_SPECIFIC = Set.of("connection", "keep-alive", "proxy-connection",
      "transfer-encoding", "upgrade", "host", "te", "http2-settings");
  private static final Object END = new Object();

  private final Context context;
  private final String service;
  private final Promise<OriginResponse> head;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  private Http2StreamChannel stream;
  private int status;
  private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  private final MultiMap trailers = MultiMap.caseInsensitiveMultiMap();
  private Handler<Buffer> dataHandler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private volatile boolean paused;
  private boolean ended;
  private long timer = -1;
  private HttpServerRequest body;

  private RequestStream(Context context, String service) {
    this.context = context;
    this.service = service;
    this.head = Promise.promise();
  }

  /**
   * Sends {@code method path} with {@code requestHeaders} to {@code service} on {@code peer} over
   * {@code pool}; with {@code body} non-null the client's body follows (paused by the caller, it is
   * resumed here once the stream exists). {@code opened} runs on the context once the stream is
   * open, before the head (the listener's 100-continue, a reset when the client leaves). Completes with the head, or fails as the
   * class comment says. Call on the request's context.
   */
  public static Future<OriginResponse> send(PeerPool pool, Endpoint peer, String service, HttpMethod method,
                                            String path, MultiMap requestHeaders, HttpServerRequest body,
                                            Duration timeout, Handler<OriginResponse> opened) {
    return send(pool, peer, service, ServiceProtocol.HTTP1, method, path, requestHeaders, body, timeout, opened);
  }

  /** As above, for a service that speaks {@code protocol} behind its peer (the receiving node is told). */
  public static Future<OriginResponse> send(PeerPool pool, Endpoint peer, String service, ServiceProtocol protocol,
                                            HttpMethod method, String path, MultiMap requestHeaders,
                                            HttpServerRequest body, Duration timeout, Handler<OriginResponse> opened) {
    Context context = io.vertx.core.Vertx.currentContext();
    RequestStream rs = new RequestStream(context, service);
    rs.body = body;
    Http2Headers h2 = new DefaultHttp2Headers().method(method.name()).scheme("http").path(path).authority(service);
    for (Map.Entry<String, String> e : requestHeaders) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      if (!CONNECTION_SPECIFIC.contains(name)) {
        h2.add(name, e.getValue());
      } else if (name.equals("te") && e.getValue().trim().equalsIgnoreCase("trailers")) {
        h2.add("te", "trailers");
      }
    }
    if (protocol == ServiceProtocol.H2C) {
      h2.set(ConnectHeaders.PROTOCOL, "h2c");
    }
    rs.timer = context.owner().setTimer(Math.max(1, timeout.toMillis()), t -> {
      rs.timer = -1;
      if (rs.head.tryFail(new TimeoutException("no response head within " + timeout.toMillis() + " ms"))) {
        rs.close();
      }
    });
    pool.openRequest(peer, h2, body == null, rs.new Reader(), io.sscmic.gateway.vertx.VertxInternals.eventLoop(context)).addListener(
        (io.netty.util.concurrent.Future<Http2StreamChannel> f) -> context.runOnContext(v -> {
          if (!f.isSuccess()) {
            rs.cancelTimer();
            rs.head.tryFail(f.cause());
            return;
          }
          rs.stream = f.getNow();
          if (rs.head.future().isComplete()) {
            rs.close(); // timed out while opening
            return;
          }
          if (opened != null) {
            opened.handle(rs);
          }
          if (body != null) {
            rs.pipeBody(body);
          }
        }));
    return rs.head.future();
  }

  private void pipeBody(HttpServerRequest req) {
    req.exceptionHandler(e -> close());
    req.handler(chunk -> {
      stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(chunk.getBytes()), false));
      if (!stream.isWritable()) {
        req.pause();
      }
    });
    req.endHandler(v -> stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true)));
    req.resume();
  }

  private void cancelTimer() {
    if (timer >= 0) {
      context.owner().cancelTimer(timer);
      timer = -1;
    }
  }

  private void close() {
    if (stream != null) {
      stream.close(); // RST_STREAM CANCEL unless both sides ended
    }
  }

  /** On the context: a HEADERS frame, the head or (after it) the trailers. */
  private void onHeaders(Http2Headers h, boolean endStream) {
    if (!head.future().isComplete()) {
      cancelTimer();
      CharSequence reason = h.get(RefusalReason.HEADER);
      status = statusOf(h);
      if (reason != null) {
        head.tryFail(new StreamRefusedException(RefusalReason.fromResponse(status, reason), status, service));
        close();
        return;
      }
      copy(h, headers);
      head.tryComplete(this);
      if (endStream) {
        queue(END);
      }
      return;
    }
    copy(h, trailers);
    if (endStream) {
      queue(END);
    }
  }

  private static int statusOf(Http2Headers h) {
    try {
      return h.status() == null ? 502 : Integer.parseInt(h.status().toString());
    } catch (NumberFormatException e) {
      return 502;
    }
  }

  private static void copy(Http2Headers from, MultiMap to) {
    for (Map.Entry<CharSequence, CharSequence> e : from) {
      if (e.getKey().length() > 0 && e.getKey().charAt(0) != ':' && !e.getKey().toString().equals(RefusalReason.HEADER)) {
        to.add(e.getKey().toString(), e.getValue().toString());
      }
    }
  }

  /** On the context: the stream failed (reset, closed early, a write failed). */
  private void onFailure(Throwable e) {
    cancelTimer();
    if (!head.tryFail(e) && !ended) {
      queue(e);
    }
  }

  private void queue(Object event) {
    if (event == END) {
      ended = true;
    }
    pending.add(event);
    deliver();
  }

  private void deliver() {
    while (!paused && dataHandler != null && endHandler != null && !pending.isEmpty()) {
      Object event = pending.poll();
      if (event == END) {
        endHandler.handle(null);
      } else if (event instanceof Throwable t) {
        pending.clear();
        if (exceptionHandler != null) {
          exceptionHandler.handle(t);
        }
      } else {
        dataHandler.handle((Buffer) event);
      }
    }
  }

  @Override
  public int statusCode() {
    return status;
  }

  @Override
  public String statusMessage() {
    return HttpResponseStatus.valueOf(status).reasonPhrase();
  }

  @Override
  public MultiMap headers() {
    return headers;
  }

  @Override
  public MultiMap trailers() {
    return trailers;
  }

  @Override
  public OriginResponse handler(Handler<Buffer> handler) {
    dataHandler = handler;
    deliver();
    return this;
  }

  @Override
  public OriginResponse endHandler(Handler<Void> handler) {
    endHandler = handler;
    deliver();
    return this;
  }

  @Override
  public OriginResponse exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public OriginResponse pause() {
    paused = true;
    return this;
  }

  @Override
  public OriginResponse resume() {
    if (paused) {
      paused = false;
      deliver();
      if (stream != null && !ended) {
        stream.read();
      }
    }
    return this;
  }

  @Override
  public void reset() {
    ended = true;
    pending.clear();
    cancelTimer();
    head.tryFail(new StreamResetException(Http2Error.CANCEL, false, "the client left"));
    close();
  }

  /**
   * First in the stream's pipeline, on its event loop: hands the events to the request's context,
   * in order and in one task per read batch (a hop between threads per frame cost a unary gRPC
   * call three), inline where the stream and the request share an event loop.
   */
  private final class Reader extends ChannelInboundHandlerAdapter {
    private boolean headSeen;
    private List<Runnable> batch = new ArrayList<>(4);

    private void dispatch() {
      if (batch.isEmpty()) {
        return;
      }
      List<Runnable> tasks = batch;
      batch = new ArrayList<>(4);
      ((ContextInternal) context).execute(() -> tasks.forEach(Runnable::run));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame f) {
          if (!headSeen && statusOf(f.headers()) / 100 == 1 && !f.isEndStream()) {
            return; // an informational answer (100 Continue): the listener answered the client's already
          }
          headSeen = true;
          Http2Headers h = f.headers();
          boolean end = f.isEndStream();
          batch.add(() -> onHeaders(h, end));
        } else if (msg instanceof Http2DataFrame d) {
          boolean end = d.isEndStream();
          Buffer data = d.content().isReadable() ? VertxInternals.copyOf(d.content()) : null;
          batch.add(() -> {
            if (data != null && !ended) {
              queue(data);
            }
            if (end && !ended) {
              queue(END);
            }
          });
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      dispatch();
      if (!paused && ctx.channel().isActive()) {
        ctx.read();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame rst) {
        Http2Error code = Http2Error.valueOf(rst.errorCode());
        StreamResetException e = new StreamResetException(code == null ? Http2Error.INTERNAL_ERROR : code, true,
            "the peer reset the request stream to '" + service + "'");
        batch.add(() -> onFailure(e));
        dispatch();
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        context.runOnContext(v -> {
          if (body != null && !ended) {
            body.resume();
          }
        });
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      batch.add(() -> {
        if (!ended) {
          onFailure(new StreamResetException(Http2Error.CANCEL, false, "the request stream to '" + service
              + "' closed before the response ended"));
        }
      });
      dispatch();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      batch.add(() -> onFailure(cause));
      dispatch();
      ctx.close();
    }
  }
}
