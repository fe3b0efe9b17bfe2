package io.sscmic.gateway.mux;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;

/**
 * Sits just above the secure layer until it reports the authenticated peer, then puts the HTTP/2
 * connection in its place: Http2FrameCodec, Http2MultiplexHandler (a child channel per stream)
 * and {@link KeepAlive}. It records the peer's node id on the channel first, so no stream can
 * exist without an authenticated caller. The connection is reported ready when the peer's first
 * SETTINGS frame arrives. Bytes that arrive before the event mean the layer below
 * broke its contract: the connection is closed.
 */
final class MuxInstaller extends ChannelInboundHandlerAdapter {
  /** At most this many flushes are held for one write (Netty's default): bulk still writes often. */
  static final int FLUSHES_PER_WRITE = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;

  private final Role role;
  private final MuxSettings settings;
  private final String localNodeId;
  private final String expectedPeer;
  private final ChannelHandler inboundStreams;
  private final MuxMetrics metrics;
  private final Promise<PeerConnection> ready;

  MuxInstaller(Role role, MuxSettings settings, String localNodeId, String expectedPeer,
      ChannelHandler inboundStreams, MuxMetrics metrics, Promise<PeerConnection> ready) {
    this.role = role;
    this.settings = settings;
    this.localNodeId = localNodeId;
    this.expectedPeer = expectedPeer;
    this.inboundStreams = inboundStreams;
    this.metrics = metrics;
    this.ready = ready;
  }

  /**
   * The largest DATA frame this node accepts (SETTINGS_MAX_FRAME_SIZE), 64 KiB rather than HTTP/2's
   * 16 KiB: a bulk stream then costs a quarter of the frames, child-channel reads and flow-control
   * steps. Measured on a v2 pair, one iperf3 stream, 17 alternating rounds against 16 KiB: 1.14-1.23x
   * the Gbit/s at 0.83-0.92x the CPU per GB; 256 KiB was no better than 64. A peer that advertises
   * 16 KiB (an older v2 node) still gets frames of at most 16 KiB: each side sends within the
   * other's setting.
   */
  static final int MAX_FRAME_SIZE = 64 * 1024;

  static Http2FrameCodec codec(Role role, MuxSettings settings) {
    Http2Settings local = new Http2Settings()
        .initialWindowSize(settings.streamWindow())
        .maxConcurrentStreams(settings.maxConcurrentStreams())
        .maxHeaderListSize(8192)
        .maxFrameSize(MAX_FRAME_SIZE);
    if (role == Role.CLIENT) {
      local.pushEnabled(false);
    }
    return (role == Role.CLIENT ? Http2FrameCodecBuilder.forClient() : Http2FrameCodecBuilder.forServer())
        .initialSettings(local)
        .gracefulShutdownTimeoutMillis(settings.drainTimeout().toMillis())
        .validateHeaders(true)
        .build();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Http2Exception {
    if (!(evt instanceof AuthenticatedPeer peer)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    String peerId = peer.peerNodeId();
    if (role == Role.CLIENT && expectedPeer != null && !expectedPeer.equals(peerId)) {
      ready.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.HANDSHAKE_FAILED, expectedPeer,
          new IllegalStateException("the peer authenticated as " + peerId)));
      ctx.close();
      return;
    }
    ctx.channel().attr(MuxAttributes.PEER_NODE_ID).set(peerId);
    Http2FrameCodec codec = codec(role, settings);
    PeerConnection[] connection = new PeerConnection[1];
    String name = ctx.name();
    ctx.pipeline()
        // Flushes from many streams in one event-loop turn become one socket write (one record):
        // each application connection's read flushed its stream at once, one write per small request.
        .addAfter(name, "sscmic-flush-batch", new FlushConsolidationHandler(FLUSHES_PER_WRITE, true))
        .addAfter("sscmic-flush-batch", "h2-codec", codec)
        .addAfter("h2-codec", "h2-streams", new Http2MultiplexHandler(inboundStreams))
        .addAfter("h2-streams", "h2-keepalive", new KeepAlive(settings.pingInterval(), g -> {
          if (connection[0] != null) {
            connection[0].markDraining();
          }
        }, () -> ready.trySuccess(connection[0])));
    widenConnectionWindow(codec);
    connection[0] = new PeerConnection(ctx.channel(), role, peerId, localNodeId, codec, metrics);
    ctx.channel().closeFuture().addListener(f -> ready.tryFailure(new PeerUnavailableException(
        PeerUnavailableException.Reason.HANDSHAKE_FAILED, peerId,
        layerFailureOr(ctx.channel(), "closed before the peer's HTTP/2 SETTINGS"))));
    ctx.pipeline().remove(this);
    ctx.flush();
    // Ready once the peer's SETTINGS arrive (as gRPC marks a transport ready): only then is its
    // stream limit known, so the pool never places more streams than the peer takes. On the
    // server side streams are served from now on anyway; the promise only reports the connection.
  }

  /**
   * HTTP/2 starts every connection with a 64 KiB receive window for all streams together, and the
   * codec widens it to twice the stream window. Bytes a slow stream has received but not yet passed
   * on count against the connection window too, so two stalled streams would stall every other
   * one: widen it to the configured multiple of the stream window.
   */
  private void widenConnectionWindow(Http2FrameCodec codec) throws Http2Exception {
    Http2Connection c = codec.connection();
    Http2LocalFlowController flow = c.local().flowController();
    int delta = settings.connectionWindow() - flow.initialWindowSize(c.connectionStream());
    if (delta > 0) {
      flow.incrementWindowSize(c.connectionStream(), delta);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
    ready.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.HANDSHAKE_FAILED,
        String.valueOf(expectedPeer), new IllegalStateException("bytes before the peer was authenticated")));
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ready.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.HANDSHAKE_FAILED,
        String.valueOf(expectedPeer), layerFailureOr(ctx.channel(), "closed before the peer was authenticated")));
    ctx.fireChannelInactive();
  }

  /** The reason the secure layer gave for closing ({@link MuxAttributes#SECURE_LAYER_FAILURE}), else {@code what}. */
  private static Throwable layerFailureOr(io.netty.channel.Channel channel, String what) {
    Throwable reason = channel.attr(MuxAttributes.SECURE_LAYER_FAILURE).get();
    return reason != null ? reason : new IllegalStateException(what);
  }
}
