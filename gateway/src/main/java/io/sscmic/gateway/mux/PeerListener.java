package io.sscmic.gateway.mux;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server side: accepts peer connections, runs the secure layer, then the multiplexer, whose
 * streams a {@link StreamAcceptor} serves. {@link #close()} stops accepting, refuses new opens,
 * sends GOAWAY on every connection and waits for their streams to drain.
 */
public final class PeerListener {
  private final Channel serverChannel;
  private final StreamAcceptor acceptor;
  private final Set<PeerConnection> connections;

  private PeerListener(Channel serverChannel, StreamAcceptor acceptor, Set<PeerConnection> connections) {
    this.serverChannel = serverChannel;
    this.acceptor = acceptor;
    this.connections = connections;
  }

  /** Binds (port 0 picks a free port; see {@link #port()}). Blocks until bound: call it off the event loop. */
  public static PeerListener bind(MuxTransport transport, InetSocketAddress address, SecureLayer layer,
      MuxSettings settings, StreamAcceptor acceptor, MuxMetrics metrics, String localNodeId)
      throws InterruptedException {
    Set<PeerConnection> connections = ConcurrentHashMap.newKeySet();
    ChannelFuture bound = new ServerBootstrap()
        .group(transport.group())
        .channelFactory(transport.serverChannels())
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            serve(ch, layer, settings, acceptor, metrics, localNodeId, null).addListener((Future<PeerConnection> f) -> {
              if (f.isSuccess()) {
                PeerConnection c = f.getNow();
                connections.add(c);
                ch.closeFuture().addListener(x -> connections.remove(c));
              }
            });
          }
        })
        .bind(address)
        .sync();
    return new PeerListener(bound.channel(), acceptor, connections);
  }

  /**
   * Serves one accepted channel as a peer connection: the secure layer (server role), then the
   * multiplexer once the peer authenticated, its streams served by {@code acceptor}. For a listener
   * that accepts by itself (the node's tunnel port takes a connection from Vert.x once its first
   * bytes say v2). Call on the channel's event loop, before it reads anything further.
   *
   * @param admission an optional handler placed between the secure layer and the multiplexer: it
   *     sees the {@link AuthenticatedPeer} event first (e.g. to move the connection from an
   *     unauthenticated budget to an established one, or to close it), and must pass it on
   * @return completes with the connection once the peer's SETTINGS arrived, or fails
   */
  public static Future<PeerConnection> serve(Channel channel, SecureLayer layer, MuxSettings settings,
      StreamAcceptor acceptor, MuxMetrics metrics, String localNodeId, ChannelHandler admission) {
    Promise<PeerConnection> ready = channel.eventLoop().newPromise();
    layer.install(channel, Role.SERVER, null);
    if (admission != null) {
      channel.pipeline().addLast("sscmic-admission", admission);
    }
    channel.pipeline().addLast("sscmic-mux-installer", new MuxInstaller(Role.SERVER, settings, localNodeId, null,
        acceptor.streamInitializer(), metrics, ready));
    return ready;
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** The authenticated connections open now. */
  public Set<PeerConnection> connections() {
    return Set.copyOf(connections);
  }

  /** Stops accepting, then GOAWAY and drain on every connection; completes when all are closed. */
  public Future<Void> close() {
    acceptor.shutDown();
    Promise<Void> all = GlobalEventExecutor.INSTANCE.newPromise();
    PromiseCombiner combiner = new PromiseCombiner(GlobalEventExecutor.INSTANCE);
    GlobalEventExecutor.INSTANCE.execute(() -> {
      combiner.add((Future<?>) serverChannel.close());
      for (PeerConnection c : connections) {
        combiner.add((Future<?>) c.closeGracefully());
      }
      combiner.finish(all);
    });
    return all;
  }
}
