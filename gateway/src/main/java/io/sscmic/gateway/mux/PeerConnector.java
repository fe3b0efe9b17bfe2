package io.sscmic.gateway.mux;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Opens client-side peer connections: TCP connect, the secure layer, then the multiplexer, all
 * within the connect timeout. Failures are {@link PeerUnavailableException}s with a reason.
 */
public final class PeerConnector {
  private final MuxTransport transport;
  private final SecureLayer layer;
  private final MuxSettings settings;
  private final MuxMetrics metrics;
  private final String localNodeId;

  public PeerConnector(MuxTransport transport, SecureLayer layer, MuxSettings settings, MuxMetrics metrics,
      String localNodeId) {
    this.transport = transport;
    this.layer = layer;
    this.settings = settings;
    this.metrics = metrics;
    this.localNodeId = localNodeId;
  }

  public MuxSettings settings() {
    return settings;
  }

  public MuxMetrics metrics() {
    return metrics;
  }

  /**
   * Connects to a peer's listener.
   *
   * @param expectedPeer the node id the peer must authenticate as, or null if the caller does not know it
   */
  public Future<PeerConnection> connect(InetSocketAddress address, String expectedPeer) {
    return connect(address, expectedPeer, null);
  }

  /** As above, on event loop {@code on} (one of the transport's), or the group's next one when null. */
  public Future<PeerConnection> connect(InetSocketAddress address, String expectedPeer, EventLoop on) {
    EventLoop loop = on != null && isOurs(on) ? on : transport.group().next();
    Promise<PeerConnection> ready = loop.newPromise();
    String label = expectedPeer != null ? expectedPeer : address.getHostString() + ":" + address.getPort();
    long timeoutMillis = settings.connectTimeout().toMillis();
    ChannelFuture connecting = new Bootstrap()
        .group(loop)
        .channelFactory(transport.socketChannels())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            layer.install(ch, Role.CLIENT, expectedPeer);
            ch.pipeline().addLast("sscmic-mux-installer", new MuxInstaller(Role.CLIENT, settings, localNodeId,
                expectedPeer, RefuseInbound.INSTANCE, metrics, ready));
          }
        })
        .connect(address);
    connecting.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        ready.tryFailure(new PeerUnavailableException(f.cause() instanceof ConnectTimeoutException
            ? PeerUnavailableException.Reason.TIMEOUT : PeerUnavailableException.Reason.CONNECT_FAILED, label,
            f.cause()));
      }
    });
    // The handshake shares the connect timeout: a peer that accepts TCP but never authenticates fails too.
    var timer = loop.schedule(() -> {
      if (ready.tryFailure(new PeerUnavailableException(PeerUnavailableException.Reason.TIMEOUT, label, null))) {
        connecting.channel().close();
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
    ready.addListener(f -> {
      timer.cancel(false);
      if (!f.isSuccess()) {
        connecting.channel().close();
      }
    });
    return ready;
  }

  /** Whether {@code loop} is one of the transport's (a caller's loop from another group cannot carry our channels). */
  private boolean isOurs(EventLoop loop) {
    for (io.netty.util.concurrent.EventExecutor e : transport.group()) {
      if (e == loop) {
        return true;
      }
    }
    return false;
  }

  /** A client-side connection takes no stream from the peer (server push is off; anything else is refused). */
  @ChannelHandler.Sharable
  static final class RefuseInbound extends ChannelInboundHandlerAdapter {
    static final RefuseInbound INSTANCE = new RefuseInbound();

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close(); // RST_STREAM CANCEL
    }
  }
}
