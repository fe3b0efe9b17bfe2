package io.sscmic.gateway.mux;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sscmic.gateway.resolve.Endpoint;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A calling node ("node-a": connector and pool) and a receiving node ("node-b": listener and
 * acceptor) over real loopback sockets, port 0, with the declared-identity layer below the
 * multiplexer in place of the record layer.
 */
final class MuxPair implements AutoCloseable {
  static final String CLIENT_NODE = "node-a";
  static final String SERVER_NODE = "node-b";

  final EventLoopGroup group;
  final MuxTransport transport;
  final LoopbackServices services;
  final SimpleMeterRegistry serverRegistry = new SimpleMeterRegistry();
  final SimpleMeterRegistry clientRegistry = new SimpleMeterRegistry();
  final MuxMetrics serverMetrics = new MuxMetrics(serverRegistry, SERVER_NODE);
  final MuxMetrics clientMetrics = new MuxMetrics(clientRegistry, CLIENT_NODE);
  final MuxSettings settings;
  StreamAcceptor acceptor;
  PeerListener listener;
  PeerConnector connector;
  PeerPool pool;
  Endpoint endpoint;
  /** Wraps the server's secure layer (set before start), e.g. to black-hole a connection. */
  java.util.function.UnaryOperator<SecureLayer> serverLayerWrapper = l -> l;

  MuxPair(MuxSettings settings) {
    this.settings = settings;
    this.group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    this.transport = MuxTransport.nio(group);
    this.services = new LoopbackServices(group);
  }

  MuxPair start(StreamPolicy policy, Map<String, SocketAddress> local) throws InterruptedException {
    SecureLayer layer = new DeclaredIdentityLayer(SERVER_NODE, CLIENT_NODE);
    acceptor = new StreamAcceptor(policy, ServiceDirectory.of(local), NioSocketChannel::new, serverMetrics, settings);
    listener = PeerListener.bind(transport, new InetSocketAddress("127.0.0.1", 0), serverLayerWrapper.apply(layer),
        settings, acceptor,
        serverMetrics, SERVER_NODE);
    connector = new PeerConnector(transport, layer, settings, clientMetrics, CLIENT_NODE);
    pool = new PeerPool(connector);
    endpoint = new Endpoint("127.0.0.1", listener.port(), SERVER_NODE);
    return this;
  }

  MuxStream open(String service) throws Exception {
    return pool.open(endpoint, service).get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (pool != null) {
      pool.close().await(30, TimeUnit.SECONDS);
    }
    if (listener != null) {
      listener.close().await(30, TimeUnit.SECONDS);
    }
    services.close();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
  }
}
