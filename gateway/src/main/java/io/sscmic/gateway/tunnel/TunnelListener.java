package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the inbound tunnel listener and the outbound listeners share: a TCP server, the client
 * that dials onward (the local service, or a peer sidecar), the idle sweeper of their streams,
 * a drain on close, and the hand-off from a finished handshake to a {@link TunnelRelay}.
 */
public abstract class TunnelListener {
  protected final Vertx vertx;
  protected final TunnelOptions options;
  protected final KeySchedule schedule;
  protected final TunnelMetrics metrics;
  private final TunnelMetrics.Side side;
  private final AtomicLong ids = new AtomicLong();
  private NetServer server;
  private IdleSweeper idle;
  private NetClient client;

  protected TunnelListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, TunnelMetrics metrics,
                           TunnelMetrics.Side side) {
    this.vertx = vertx;
    this.options = options;
    this.schedule = schedule;
    this.metrics = metrics;
    this.side = side;
  }

  /** Binds the listener; the future holds the bound port. */
  public Future<Integer> listen(SocketAddress address) {
    client = vertx.createNetClient(new NetClientOptions()
        .setTcpNoDelay(true)
        .setConnectTimeout((int) options.connectTimeout().toMillis()));
    idle = new IdleSweeper(vertx, options.idleTimeout());
    onListen(client);
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(this::accept);
    return server.listen(address).map(NetServer::actualPort);
  }

  /** Called on the listener's context before it binds, with the client it dials onward with. */
  protected void onListen(NetClient client) {
  }

  /** Takes one accepted connection. */
  protected abstract void accept(NetSocket socket);

  /** The client that dials onward (valid once {@link #listen} was called). */
  protected final NetClient client() {
    return client;
  }

  /** A connection id for logs: {@code node/in#7} or {@code node/out#7}. */
  protected final String nextId() {
    return options.nodeId() + (side == TunnelMetrics.Side.INBOUND ? "/in#" : "/out#") + ids.incrementAndGet();
  }

  /** Closes the streams still open on this listener now (after {@link #close}, to cut a drain short). */
  public void abortOpenStreams() {
    if (idle != null) {
      idle.abortAll();
    }
  }

  /**
   * Stops accepting at once; open connections get up to {@code drain} to finish before they are
   * closed.
   */
  public Future<Void> close(Duration drain) {
    Future<Void> s = server == null ? Future.succeededFuture()
        : server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
    // The client closes only once the server's connections have: one accepted just before the
    // shutdown may still be dialling onward (a reload swapped listeners under a steady stream of
    // new connections, and the one caught in between was reset when both shut down together).
    Future<Void> c = client == null ? s
        : s.transform(x -> client.shutdown(1, TimeUnit.SECONDS));
    return c.onComplete(x -> {
      if (idle != null) {
        idle.close();
      }
      onClosed();
    }).mapEmpty();
  }

  /** Called once the listener has closed (release watches and the like). */
  protected void onClosed() {
  }

  /**
   * The handshake is over: the stream's frames are sealed and opened under {@code keys} in this
   * listener's direction, and a relay moves it both ways from now on.
   *
   * @param decoder the handshake's decoder: frames already read behind the handshake reach the relay
   */
  protected final TunnelRelay handOff(String id, NetSocket local, NetSocket tunnel, FrameDecoder decoder,
                                      TrafficKeys keys, PeerMetrics.Peer peer, long startedNanos) {
    boolean inbound = side == TunnelMetrics.Side.INBOUND;
    Direction sends = inbound ? Direction.SERVER_TO_CLIENT : Direction.CLIENT_TO_SERVER;
    Direction receives = inbound ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
    TunnelRelay relay = new TunnelRelay(id, side, local, tunnel, decoder, new FrameSealer(schedule, keys, sends),
        new FrameOpener(schedule, keys, receives), metrics, idle, peer);
    metrics.handshake(side, startedNanos);
    peer.handshook(System.nanoTime() - startedNanos); // the topology's edge latency
    return relay;
  }
}
