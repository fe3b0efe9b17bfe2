package io.sscmic.gateway.http;

import io.sscmic.gateway.vertx.VertxInternals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sscmic.gateway.tunnel.LogThrottle;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Enforces {@link ListenerLimits} on the HTTP listener's connections. It works on the Netty
 * pipeline because Vert.x shows neither the bytes of a request whose headers are incomplete (a
 * slow loris) nor the time between requests on a keep-alive connection. One instance per
 * listener; each connection's part runs on that connection's event loop.
 */
final class ListenerGuard {
  private static final Logger LOG = Logger.getLogger(ListenerGuard.class.getName());
  private static final AttributeKey<Conn> CONN = AttributeKey.valueOf("sscmic-http-guard");
  /** Vert.x's handler that turns an HTTP/1.1 connection into h2c on {@code Upgrade: h2c}. */
  private static final String H2C_UPGRADE = "h2c";
  private final ListenerLimits limits;
  private final HttpMetrics metrics;
  private final String node;
  private final AtomicInteger open = new AtomicInteger();
  private final LogThrottle connectionsLog = new LogThrottle();
  private final LogThrottle headersLog = new LogThrottle();
  private final LogThrottle invalidLog = new LogThrottle();

  ListenerGuard(ListenerLimits limits, HttpMetrics metrics, String node) {
    this.limits = limits;
    this.metrics = metrics;
    this.node = node;
  }

  /**
   * For {@code HttpServer.connectionHandler}: a new client connection, before its first request.
   * An HTTP/2 connection (h2c with prior knowledge) counts against the connection limit only: its
   * frames never pass the HTTP/1 codec these deadlines watch, and a stream waiting for its answer
   * is bounded by the route timeout. An h2c upgrade shows up here a second time for the same
   * socket: it stays counted once and its HTTP/1 deadlines end.
   */
  void accept(HttpConnection connection) {
    Channel ch = VertxInternals.channel(connection);
    Conn existing = ch.attr(CONN).get();
    if (existing != null) {
      existing.upgraded();
      return;
    }
    boolean http1 = ch.pipeline().get("httpDecoder") != null;
    Conn c = new Conn(ch, http1);
    ch.attr(CONN).set(c);
    if (http1) {
      ch.pipeline().addBefore("httpDecoder", "sscmic-guard-bytes", c.bytes);
      // Before Vert.x's h2c upgrade handler where there is one: it consumes an upgrade request.
      ch.pipeline().addBefore(ch.pipeline().get(H2C_UPGRADE) != null ? H2C_UPGRADE : "handler", "sscmic-guard-messages",
          c.messages);
    }
    // A pending check must not keep a closed connection's state alive until it fires.
    ch.closeFuture().addListener(f -> {
      if (c.check != null) {
        c.check.cancel(false);
      }
    });
    // Claimed, not just checked: connections arrive on several event loops at once.
    if (open.incrementAndGet() > limits.maxClientConnections()) {
      open.decrementAndGet();
      metrics.limitHit("max_client_connections");
      if (connectionsLog.allow()) {
        LOG.warning(() -> node + ": refused an HTTP client connection from " + connection.remoteAddress()
            + ": http.max-client-connections (" + limits.maxClientConnections() + ") reached (further refusals this"
            + " second are counted, not logged)");
      }
      if (http1) {
        c.answer(503, "Service Unavailable", "sidecar " + node + " has " + limits.maxClientConnections()
            + " client connections open (http.max-client-connections)");
      } else {
        // HTTP/2: GOAWAY rather than a response no stream asked for.
        c.closing = true;
        connection.close();
      }
      return;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    if (http1) {
      c.arm(Phase.HEADERS);
    } else {
      c.phase = Phase.REQUEST;
    }
  }

  /**
   * For {@code HttpServer.invalidRequestHandler}: a request the decoder refused. Returns false
   * when it is not a limit (malformed), for the caller to answer 400.
   */
  boolean invalid(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    Conn c = VertxInternals.channel(req.connection()).attr(CONN).get();
    if (c == null) {
      return false;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      refused(c, "max_header_size", 431, "Request Header Fields Too Large", "request headers larger than "
          + limits.maxHeaderSize() + " bytes (http.max-header-size)");
    } else if (cause instanceof TooLongHttpLineException) {
      refused(c, "max_initial_line_length", 414, "URI Too Long", "request line longer than "
          + limits.maxInitialLineLength() + " bytes (http.max-initial-line-length)");
    } else {
      return false;
    }
    return true;
  }

  /**
   * For the request handler, first thing: a request Vert.x hands over. With h2c on, Vert.x builds
   * an HTTP/1.1 connection's pipeline (and calls {@link #accept}) only once the first bytes have
   * shown it is not HTTP/2, by when the first request's head has passed the point where this guard
   * counts heads: it is counted here instead, so that its time is the route timeout's, not the
   * idle timeout's.
   *
   * @return false when the connection is being refused (over the connection limit: the sidecar's
   *     503 is already on its way) and the request must not be served
   */
  boolean request(HttpServerRequest req) {
    Conn c = VertxInternals.channel(req.connection()).attr(CONN).get();
    if (req.version() == io.vertx.core.http.HttpVersion.HTTP_2) {
      if (c != null && c.http1 && !c.h2) {
        // The request of an h2c upgrade, now stream 1 of an HTTP/2 connection on this socket.
        c.upgraded();
      }
      return true;
    }
    if (c == null || !c.http1 || c.h2) {
      return true;
    }
    if (c.closing) {
      return false;
    }
    c.handled++;
    if (c.handled > c.heads) {
      c.heads = c.handled;
      c.unanswered++;
      c.phase = Phase.REQUEST;
    }
    return true;
  }

  /** Closes a connection after a 400 without leaving the client a reset instead of the answer. */
  void closeAfterAnswer(HttpServerRequest req) {
    TcpHalfClose.lingeringClose(VertxInternals.channel(req.connection()), TcpHalfClose.LINGER);
  }

  private void refused(Conn c, String limit, int status, String phrase, String why) {
    metrics.limitHit(limit);
    if (invalidLog.allow()) {
      LOG.warning(() -> node + ": answered " + status + " to " + c.ch.remoteAddress() + ": " + why
          + " (further ones this second are counted, not logged)");
    }
    c.answer(status, phrase, why);
  }

  private enum Phase {
    /** Waiting for a request's headers to be complete: bounded by the header timeout. */
    HEADERS,
    /** A request in progress: bounded by the route timeout, not here. */
    REQUEST,
    /** Keep-alive with nothing in progress: bounded by the idle timeout. */
    IDLE
  }

  /** One client connection's deadlines. Event-loop confined. */
  private final class Conn {
    final Channel ch;
    final Bytes bytes = new Bytes();
    final Messages messages = new Messages();
    Phase phase = Phase.HEADERS;
    long deadline;
    ScheduledFuture<?> check;
    int unanswered;
    /** Request heads this guard saw pass, and requests Vert.x handed over: see {@link #request}. */
    int heads;
    int handled;
    boolean readingBody;
    boolean closing;

    final boolean http1;
    /** Upgraded (or upgrading) to h2c: its streams are bounded by the route timeout, not by these deadlines. */
    boolean h2;

    Conn(Channel ch, boolean http1) {
      this.ch = ch;
      this.http1 = http1;
    }

    /** Now HTTP/2 on the same socket (h2c upgrade): no more HTTP/1 deadlines. */
    void upgraded() {
      h2 = true;
      phase = Phase.REQUEST;
      if (check != null) {
        check.cancel(false);
        check = null;
      }
      // The two handlers stay: they pass HTTP/2's bytes through, and arm() does nothing from now on.
    }

    /**
     * One pending check at a time that re-arms itself for a later deadline: cheaper than a cancel
     * and a new timer for every request on a keep-alive connection.
     */
    void arm(Phase p) {
      if (h2) {
        return;
      }
      phase = p;
      Duration limit = p == Phase.HEADERS ? limits.headerTimeout() : limits.idleTimeout();
      if (p == Phase.REQUEST || limit.isZero()) {
        return;
      }
      deadline = System.nanoTime() + limit.toNanos();
      if (check != null && check.getDelay(TimeUnit.NANOSECONDS) > limit.toNanos()) {
        // The pending check is for a longer deadline (header timeout before an idle one).
        check.cancel(false);
        check = null;
      }
      if (check == null) {
        check = ch.eventLoop().schedule(this::check, limit.toNanos(), TimeUnit.NANOSECONDS);
      }
    }

    void check() {
      check = null;
      if (closing || !ch.isActive() || phase == Phase.REQUEST) {
        return;
      }
      long left = deadline - System.nanoTime();
      if (left > 0) {
        check = ch.eventLoop().schedule(this::check, left, TimeUnit.NANOSECONDS);
      } else if (phase == Phase.HEADERS) {
        metrics.limitHit("header_timeout");
        if (headersLog.allow()) {
          LOG.warning(() -> node + ": answered 408 to " + ch.remoteAddress() + ": no complete request headers within "
              + limits.headerTimeout().toMillis() + " ms (http.header-timeout; further ones this second are counted, "
              + "not logged)");
        }
        answer(408, "Request Timeout", "no complete request headers within " + limits.headerTimeout().toMillis()
            + " ms (http.header-timeout)");
      } else {
        metrics.limitHit("idle_timeout");
        LOG.fine(() -> node + ": closed an idle keep-alive connection from " + ch.remoteAddress());
        closing = true;
        ch.close();
      }
    }

    /** The sidecar's own answer, written below Vert.x's HTTP codec, then a lingering close. */
    void answer(int status, String phrase, String text) {
      if (closing) {
        return;
      }
      closing = true;
      byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
      String head = "HTTP/1.1 " + status + " " + phrase + "\r\ncontent-type: text/plain; charset=utf-8\r\n"
          + "content-length: " + body.length + "\r\nconnection: close\r\n" + HttpProxyVerticle.PRODUCED_BY + ": " + node
          + "\r\n\r\n";
      ByteBuf out = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), body);
      ch.pipeline().context(bytes).writeAndFlush(out);
      TcpHalfClose.lingeringClose(ch, TcpHalfClose.LINGER);
    }

    void idleIfDone() {
      if (unanswered == 0 && !readingBody) {
        arm(Phase.IDLE);
      }
    }

    private static boolean isContinue(Object msg) {
      return msg instanceof HttpResponse r && r.status().code() == HttpResponseStatus.CONTINUE.code();
    }

    /** Before the HTTP decoder: sees a new request's first bytes. */
    final class Bytes extends ChannelInboundHandlerAdapter {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
          ReferenceCountUtil.release(msg);
          return;
        }
        if (phase == Phase.IDLE) {
          arm(Phase.HEADERS);
        }
        ctx.fireChannelRead(msg);
      }
    }

    /** After the HTTP codec: sees complete request heads coming in and response ends going out. */
    final class Messages extends ChannelDuplexHandler {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r && ctx.pipeline().get(H2C_UPGRADE) != null
            && r.headers().containsValue("upgrade", "h2c", true) && r.headers().contains("http2-settings")) {
          // The h2c handler after us takes it from here; the connection will be HTTP/2.
          upgraded();
        }
        if (msg instanceof HttpRequest) {
          heads++;
          unanswered++;
          readingBody = true;
          phase = Phase.REQUEST;
        }
        if (msg instanceof LastHttpContent) {
          readingBody = false;
          idleIfDone();
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A 100 Continue goes out as a full response too, but the request is still unanswered.
        if (msg instanceof LastHttpContent && !isContinue(msg) && unanswered > 0) {
          unanswered--;
          idleIfDone();
        }
        ctx.write(msg, promise);
      }
    }
  }
}
