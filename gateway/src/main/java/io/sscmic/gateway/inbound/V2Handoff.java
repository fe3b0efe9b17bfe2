package io.sscmic.gateway.inbound;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import io.sscmic.gateway.mux.AuthenticatedPeer;
import io.sscmic.gateway.mux.MuxMetrics;
import io.sscmic.gateway.mux.MuxSettings;
import io.sscmic.gateway.mux.PeerConnection;
import io.sscmic.gateway.mux.PeerListener;
import io.sscmic.gateway.mux.SecureLayer;
import io.sscmic.gateway.mux.StreamAcceptor;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The tunnel listener's v2 side: a connection whose first bytes are a v2 record header is taken
 * from Vert.x and served as a peer connection (record layer and handshake as server, then the
 * multiplexer, its streams served by the {@link StreamAcceptor} over this data plane's services
 * and stream policy), as {@link PeerListener} serves its own. One per data plane: a reload's new
 * one takes new connections while the old one drains its own.
 */
public final class V2Handoff {
  /** Record type codes 0x20-0x2f are the v2 family (docs/PROTOCOL-v2.md, section 2). */
  static boolean isV2(byte type) {
    return (type & 0xf0) == 0x20;
  }

  private final SecureLayer layer;
  private final MuxSettings settings;
  private final StreamAcceptor acceptor;
  private final MuxMetrics metrics;
  private final String localNodeId;
  private final Set<PeerConnection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Channel> handshaking = ConcurrentHashMap.newKeySet();

  public V2Handoff(SecureLayer layer, MuxSettings settings, StreamAcceptor acceptor, MuxMetrics metrics,
                   String localNodeId) {
    this.layer = layer;
    this.settings = settings;
    this.acceptor = acceptor;
    this.metrics = metrics;
    this.localNodeId = localNodeId;
  }

  /**
   * Takes {@code socket} from Vert.x and serves it as a v2 peer connection, starting with the bytes
   * already read. On the socket's event loop.
   *
   * @param admitted asked once the peer authenticated, with its node id: false closes the connection
   *     (the listener's established-connection limits); the listener's unauthenticated budget is
   *     released by then in either case
   */
  void adopt(NetSocket socket, Buffer first, Predicate<String> admitted) {
    Channel channel = VertxInternals.detach(socket);
    handshaking.add(channel);
    channel.closeFuture().addListener(f -> handshaking.remove(channel));
    PeerListener.serve(channel, layer, settings, acceptor, metrics, localNodeId, new Admission(admitted))
        .addListener((Future<PeerConnection> f) -> {
          if (f.isSuccess()) {
            PeerConnection c = f.getNow();
            connections.add(c);
            channel.closeFuture().addListener(x -> connections.remove(c));
          }
        });
    // The bytes Vert.x already read (a copy: Vert.x keeps its own buffer), then reading goes on as Netty's.
    channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(first.getBytes()));
    channel.pipeline().fireChannelReadComplete();
    channel.config().setAutoRead(true);
    channel.read();
  }

  /** Peer connections open now (authenticated), for the dashboard and tests. */
  public Set<PeerConnection> connections() {
    return Set.copyOf(connections);
  }

  /**
   * Refuses new streams, sends GOAWAY on every connection so that open streams finish, and
   * completes when all have closed (each within the multiplexer's drain timeout). Connections still
   * in their handshake are closed.
   *
   * @param drain how long open streams may run on after GOAWAY
   */
  public Future<Void> close(Duration drain) {
    acceptor.shutDown();
    Promise<Void> all = GlobalEventExecutor.INSTANCE.newPromise();
    GlobalEventExecutor.INSTANCE.execute(() -> {
      PromiseCombiner combiner = new PromiseCombiner(GlobalEventExecutor.INSTANCE);
      for (PeerConnection c : connections) {
        c.channel().eventLoop().execute(() -> {
          c.codec().gracefulShutdownTimeoutMillis(drain.toMillis());
          c.closeGracefully();
        });
        combiner.add((Future<?>) c.channel().closeFuture());
      }
      for (Channel ch : handshaking) {
        if (ch.isOpen() && ch.pipeline().get("h2-codec") == null) {
          combiner.add((Future<?>) ch.close());
        }
      }
      combiner.finish(all);
    });
    return all;
  }

  /** Closes now what {@link #close()} lets drain (a node stop cutting a reload's drain short). */
  public void abort() {
    for (PeerConnection c : connections) {
      c.channel().close();
    }
  }

  /** Sees the authenticated peer before the multiplexer does: the listener admits it or the connection closes. */
  private static final class Admission extends ChannelInboundHandlerAdapter {
    private final Predicate<String> admitted;

    Admission(Predicate<String> admitted) {
      this.admitted = admitted;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof AuthenticatedPeer peer) {
        ChannelHandler self = this;
        ctx.pipeline().remove(self);
        if (!admitted.test(peer.peerNodeId())) {
          ctx.close();
          return;
        }
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
