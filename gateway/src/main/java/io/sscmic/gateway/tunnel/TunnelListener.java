package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.gateway.vertx.VertxInternals;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the inbound tunnel listener and the outbound listeners share: a TCP server, the client
 * that dials onward (the local service, or a peer sidecar), the idle sweeper of their streams,
 * a drain on close, and the hand-off from a finished handshake to a {@link TunnelRelay}.
 *
 * <p>A listener accepts on {@link TunnelOptions#eventLoops()} event loops: one server per loop,
 * all on the one port (Vert.x shares a bound port between servers and hands each accepted
 * connection to the next of them in turn). A connection, the connection it dials onward and its
 * relay stay on the loop that accepted it; each loop has its own idle sweeper. What subclasses
 * count across connections (limits) must therefore be safe for several threads.
 */
public abstract class TunnelListener {
  protected final Vertx vertx;
  protected final TunnelOptions options;
  protected final KeySchedule schedule;
  protected final TunnelMetrics metrics;
  private final TunnelMetrics.Side side;
  private final AtomicLong ids = new AtomicLong();
  /** The loops this listener accepts on, by their context (a connection's handlers run on it). */
  private final Map<Context, Loop> loops = new ConcurrentHashMap<>();
  private final List<NetServer> servers = new CopyOnWriteArrayList<>();
  private volatile NetClient client;
  private volatile Runnable closeHook = () -> { };

  /** What one event loop of the listener has of its own. */
  private record Loop(Context context, IdleSweeper idle, AtomicLong accepted) {
  }

  protected TunnelListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, TunnelMetrics metrics,
                           TunnelMetrics.Side side) {
    this.vertx = vertx;
    this.options = options;
    this.schedule = schedule;
    this.metrics = metrics;
    this.side = side;
  }

  /**
   * Binds the listener on its event loops; the future holds the bound port. Port 0 picks one
   * random port that every loop's server shares.
   */
  public Future<Integer> listen(SocketAddress address) {
    client = vertx.createNetClient(new NetClientOptions()
        .setTcpNoDelay(true)
        .setConnectTimeout((int) options.connectTimeout().toMillis()));
    List<Context> contexts = VertxInternals.eventLoopContexts(vertx, options.eventLoops());
    int port = VertxInternals.sharedPort(address, contexts.size());
    // The servers on loops of their own belong to no deployment: they close with the context that
    // opened the listener (a data-plane verticle undeployed, or one whose start failed) at the latest.
    closeHook = VertxInternals.onClose(Vertx.currentContext(), () -> close(Duration.ZERO));
    List<Future<Integer>> bound = new ArrayList<>();
    for (Context context : contexts) {
      NetServer server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
      servers.add(server);
      Promise<Integer> actual = Promise.promise();
      context.runOnContext(v -> {
        Loop loop = new Loop(context, new IdleSweeper(vertx, options.idleTimeout()), new AtomicLong());
        loops.put(context, loop);
        onListen(client);
        server.connectHandler(socket -> {
          loop.accepted().incrementAndGet();
          accept(socket);
        });
        server.listen(port, address.host()).map(NetServer::actualPort).onComplete(actual);
      });
      bound.add(actual.future());
    }
    return Future.all(bound).<Integer>map(all -> bound.get(0).result())
        .recover(e -> close(Duration.ZERO).transform(x -> Future.failedFuture(e)));
  }

  /** The loops this listener accepts on (fewer than asked when the Vert.x pool has fewer). */
  public int eventLoops() {
    return loops.size();
  }

  /** Connections accepted so far on each of the listener's loops, in no particular order (the spread). */
  public List<Long> acceptedPerLoop() {
    return loops.values().stream().map(l -> l.accepted().get()).toList();
  }

  /**
   * Called on each of the listener's event loops before its server there binds, with the client it
   * dials onward with; {@link io.vertx.core.Vertx#currentContext()} is that loop's context.
   */
  protected void onListen(NetClient client) {
  }

  /** Takes one accepted connection, on the event loop that accepted it. */
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
    loops.values().forEach(l -> l.context().runOnContext(v -> l.idle().abortAll()));
  }

  /**
   * Stops accepting at once; open connections get up to {@code drain} to finish before they are
   * closed.
   */
  public Future<Void> close(Duration drain) {
    closeHook.run();
    Future<Void> s = Future.join(servers.stream().map(server -> server.shutdown(drain.toMillis(),
        TimeUnit.MILLISECONDS)).toList()).mapEmpty();
    // The client closes only once the server's connections have: one accepted just before the
    // shutdown may still be dialling onward (a reload swapped listeners under a steady stream of
    // new connections, and the one caught in between was reset when both shut down together).
    Future<Void> c = client == null ? s
        : s.transform(x -> client.shutdown(1, TimeUnit.SECONDS));
    return c.onComplete(x -> {
      loops.values().forEach(l -> l.context().runOnContext(v -> l.idle().close()));
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
        new FrameOpener(schedule, keys, receives), metrics, currentLoop().idle(), peer);
    metrics.handshake(side, startedNanos);
    peer.handshook(System.nanoTime() - startedNanos); // the topology's edge latency
    return relay;
  }

  /**
   * The loop whose context runs the caller (every handler of a connection runs on its loop's). A
   * connection carried in from another listener's context (interception hands its captured
   * connections over on its own) gets that context's idle sweeper, made on first use.
   */
  private Loop currentLoop() {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("not on a Vert.x context");
    }
    return loops.computeIfAbsent(context, c -> new Loop(c, new IdleSweeper(vertx, options.idleTimeout()),
        new AtomicLong()));
  }
}
