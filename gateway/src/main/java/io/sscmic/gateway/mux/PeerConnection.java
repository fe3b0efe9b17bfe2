package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One authenticated HTTP/2 connection to a peer node, client or server side. Built by
 * {@link MuxInstaller} once the secure layer reported the peer; on the server side its streams
 * are accepted by a {@link StreamAcceptor}, on the client side {@link #openStream} opens them.
 *
 * <p>Stream accounting for the pool: a stream counts from {@link #tryReserve()} (before its
 * HEADERS are sent, so concurrent callers never overshoot the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS) until its child channel closes.
 */
public final class PeerConnection {
  /** Stream ids are 31 bits and only grow: a connection this far along takes no new stream. */
  private static final int LAST_STREAM_ID = (1 << 30);

  private final Channel channel;
  private final Role role;
  private final String peerNodeId;
  private final String localNodeId;
  private final Http2FrameCodec codec;
  private final MuxMetrics metrics;
  private final MuxMetrics.Peer meters;
  private final AtomicInteger reserved = new AtomicInteger();
  private volatile boolean draining;
  private volatile long idleSinceNanos = System.nanoTime();

  PeerConnection(Channel channel, Role role, String peerNodeId, String localNodeId, Http2FrameCodec codec,
      MuxMetrics metrics) {
    this.channel = channel;
    this.role = role;
    this.peerNodeId = peerNodeId;
    this.localNodeId = localNodeId;
    this.codec = codec;
    this.metrics = metrics;
    this.meters = metrics.peer(peerNodeId);
    meters.connectionOpened();
    channel.closeFuture().addListener(f -> meters.connectionClosed());
  }

  public Channel channel() {
    return channel;
  }

  public Role role() {
    return role;
  }

  /** The peer's node id, as the secure layer authenticated it. */
  public String peerNodeId() {
    return peerNodeId;
  }

  public boolean isActive() {
    return channel.isActive();
  }

  /** True once GOAWAY was sent or received, or the connection is closed: it takes no new stream. */
  public boolean isDraining() {
    return draining || !channel.isActive() || codec.connection().goAwayReceived()
        || codec.connection().goAwaySent();
  }

  void markDraining() {
    draining = true;
  }

  /** Streams counted against this connection now (opening or open). */
  public int streams() {
    return reserved.get();
  }

  /**
   * The most streams the peer lets this node open at once (its SETTINGS_MAX_CONCURRENT_STREAMS;
   * known from the start, as a connection is handed out only once the peer's SETTINGS arrived).
   */
  public int maxStreams() {
    return codec.connection().local().maxActiveStreams();
  }

  /** Streams open on the HTTP/2 connection now, both directions (read on the event loop for an exact figure). */
  public int activeHttp2Streams() {
    return codec.connection().numActiveStreams();
  }

  /** The codec, for tests and measurements that look at flow-control state. */
  public Http2FrameCodec codec() {
    return codec;
  }

  long idleSinceNanos() {
    return idleSinceNanos;
  }

  /** Counts one more stream if the peer's limit and this connection's state allow it. */
  boolean tryReserve() {
    if (role != Role.CLIENT || isDraining() || codec.connection().local().lastStreamCreated() >= LAST_STREAM_ID) {
      return false;
    }
    int max = maxStreams();
    for (;;) {
      int n = reserved.get();
      if (n >= max) {
        return false;
      }
      if (reserved.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  private void unreserve() {
    if (reserved.decrementAndGet() == 0) {
      idleSinceNanos = System.nanoTime();
    }
  }

  /**
   * Opens a stream to {@code service} on the peer. Fails at once with
   * {@link PeerUnavailableException} (SATURATED or SHUTDOWN) if this connection cannot take one.
   */
  public Future<MuxStream> openStream(String service) {
    Promise<MuxStream> promise = channel.eventLoop().newPromise();
    if (!tryReserve()) {
      promise.setFailure(new PeerUnavailableException(isDraining()
          ? PeerUnavailableException.Reason.SHUTDOWN : PeerUnavailableException.Reason.SATURATED, peerNodeId, null));
      return promise;
    }
    openReserved(service, promise);
    return promise;
  }

  /** Opens a stream on a slot already taken by {@link #tryReserve()}. */
  void openReserved(String service, Promise<MuxStream> promise) {
    long began = System.nanoTime();
    Promise<Void> accepted = channel.eventLoop().newPromise();
    // The edge's figures (sscmic_mux_stream_answer, _streams_failed): answered or not, and how soon.
    accepted.addListener(a -> {
      if (a.isSuccess()) {
        meters.answered(System.nanoTime() - began);
      } else {
        meters.streamFailed(Role.CLIENT);
      }
    });
    openOnSlot(new ClientStreamHandler(service, accepted, metrics, meters), promise, accepted::tryFailure, stream -> {
      stream.writeAndFlush(new DefaultHttp2HeadersFrame(ConnectHeaders.request(service, localNodeId), false))
          .addListener(w -> {
            if (!w.isSuccess()) {
              accepted.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.SHUTDOWN,
                  peerNodeId, w.cause()));
            }
          });
      return new MuxStream(stream, service, accepted, metrics);
    });
  }

  /**
   * Opens a request stream on a slot already taken by {@link #tryReserve()}: {@code head} as its
   * HEADERS, {@code handler} first in its pipeline. Counted in the stream meters while open.
   */
  void openRequestReserved(Http2Headers head, boolean endStream, ChannelHandler handler,
                           Promise<Http2StreamChannel> promise) {
    FirstAnswer answer = new FirstAnswer(meters);
    ChannelInitializer<Http2StreamChannel> pipeline = new ChannelInitializer<>() {
      @Override
      protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast(answer, handler);
      }
    };
    openOnSlot(pipeline, promise, cause -> meters.streamFailed(Role.CLIENT), stream -> {
      meters.streamOpened(Role.CLIENT);
      stream.closeFuture().addListener(c -> meters.streamClosed(Role.CLIENT));
      stream.writeAndFlush(new DefaultHttp2HeadersFrame(head, endStream)).addListener(w -> {
        if (!w.isSuccess()) {
          stream.pipeline().fireExceptionCaught(new PeerUnavailableException(
              PeerUnavailableException.Reason.SHUTDOWN, peerNodeId, w.cause()));
        }
      });
      return stream;
    });
  }

  /**
   * The one way a stream is opened on a reserved slot (CONNECT and request streams alike): the slot
   * is given back when the stream closes, or at once if it cannot be opened. On success
   * {@code opened} sends the stream's HEADERS (and counts it as its kind needs) and returns what
   * {@code promise} hands out; the opener then asks for the answer. On failure {@code failed} sees
   * the cause first (the kind's failure figure), then {@code promise} fails: with the cause itself
   * if the bootstrap threw, else with {@link PeerUnavailableException} SHUTDOWN.
   */
  private <T> void openOnSlot(ChannelHandler handler, Promise<T> promise, Consumer<Throwable> failed,
                              Function<Http2StreamChannel, T> opened) {
    Future<Http2StreamChannel> opening;
    try {
      opening = new Http2StreamChannelBootstrap(channel)
          .option(ChannelOption.AUTO_READ, false)
          .handler(handler)
          .open();
    } catch (RuntimeException e) {
      unreserve();
      failed.accept(e);
      promise.tryFailure(e);
      return;
    }
    opening.addListener((Future<Http2StreamChannel> f) -> {
      if (!f.isSuccess()) {
        unreserve();
        failed.accept(f.cause());
        promise.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.SHUTDOWN, peerNodeId,
            f.cause()));
        return;
      }
      Http2StreamChannel stream = f.getNow();
      stream.closeFuture().addListener(c -> unreserve());
      T handedOut = opened.apply(stream);
      stream.read(); // the answer
      promise.trySuccess(handedOut);
    });
  }

  /**
   * Before a request stream's reader: times the peer's answer (its response head) for the edge's
   * latency, or counts the stream as failed when it is reset or closes before one; then steps out.
   */
  private static final class FirstAnswer extends ChannelInboundHandlerAdapter {
    private final MuxMetrics.Peer meters;
    private final long began = System.nanoTime();
    private boolean done;

    FirstAnswer(MuxMetrics.Peer meters) {
      this.meters = meters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!done && msg instanceof Http2HeadersFrame) {
        done = true;
        meters.answered(System.nanoTime() - began);
        ctx.pipeline().remove(this);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (!done && evt instanceof Http2ResetFrame) {
        done = true;
        meters.streamFailed(Role.CLIENT);
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!done) {
        done = true;
        meters.streamFailed(Role.CLIENT);
      }
      ctx.fireChannelInactive();
    }
  }

  /**
   * GOAWAY, then closes once the open streams have finished or the drain timeout passed (Netty's
   * graceful shutdown of the HTTP/2 connection handler).
   */
  public ChannelFuture closeGracefully() {
    draining = true;
    return channel.close();
  }

  /**
   * Closes now, open streams included (a revoked peer): GOAWAY and no drain. A plain
   * {@code channel.close()} would let the streams run on for the codec's graceful timeout.
   */
  public void cut() {
    draining = true;
    channel.eventLoop().execute(() -> {
      codec().gracefulShutdownTimeoutMillis(0);
      channel.close();
    });
  }

  @Override
  public String toString() {
    return role.name().toLowerCase() + " connection to " + peerNodeId + " " + channel.remoteAddress()
        + " (" + reserved.get() + " streams)";
  }
}
