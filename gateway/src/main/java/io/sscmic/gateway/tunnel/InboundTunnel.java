package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.frame.AcceptFrame;
import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.frame.RefuseFrame;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The inbound tunnel listener: verifies each hello (epoch window, membership MAC, replay, known
 * service), connects to the named local service, answers with ACCEPT and relays. A refused hello
 * gets a REFUSE frame with its reason, a log line and a counter, and no backend connection.
 */
public final class InboundTunnel {
  private static final Logger LOG = Logger.getLogger(InboundTunnel.class.getName());
  /** Hellos remembered against replay (an entry per verified hello of the current epochs). */
  public static final int REPLAY_CACHE_ENTRIES = 1 << 18;

  private final Vertx vertx;
  private final TunnelOptions options;
  private final KeySchedule schedule;
  private final Map<String, SocketAddress> services;
  private final TunnelMetrics metrics;
  private final SecureRandom random;
  private final HelloReplayCache replays;
  private final AtomicLong ids = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
  private final TunnelLimits limits;
  private final HandshakeRateLimit rate;
  private final LogThrottle overloadLog = new LogThrottle();
  /** Open connections per peer (source address) whose hello verified. */
  private final Map<String, Integer> perPeer = new java.util.concurrent.ConcurrentHashMap<>();
  private NetServer server;
  private IdleSweeper idle;
  private NetClient backends;

  public InboundTunnel(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                       TunnelMetrics metrics, SecureRandom random) {
    this(vertx, options, schedule, services, metrics, random, TunnelLimits.DEFAULTS);
  }

  public InboundTunnel(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                       TunnelMetrics metrics, SecureRandom random, TunnelLimits limits) {
    this(vertx, options, schedule, services, metrics, random, limits, HelloReplayCache.forSchedule(schedule));
  }

  /**
   * @param replays the hellos already seen; a node shares one cache between the listener it
   *     replaces at a config reload and the new one, so a hello cannot be replayed across it
   */
  public InboundTunnel(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                       TunnelMetrics metrics, SecureRandom random, TunnelLimits limits, HelloReplayCache replays) {
    this.replays = replays;
    this.limits = limits;
    this.rate = new HandshakeRateLimit(limits.handshakesPerSecondPerSource());
    this.vertx = vertx;
    this.options = options;
    this.schedule = schedule;
    this.services = Map.copyOf(services);
    this.metrics = metrics;
    this.random = random;
  }

  /** Binds the listener; the future holds the bound port. */
  public Future<Integer> listen(SocketAddress address) {
    backends = vertx.createNetClient(new NetClientOptions()
        .setTcpNoDelay(true)
        .setConnectTimeout((int) options.connectTimeout().toMillis()));
    idle = new IdleSweeper(vertx, options.idleTimeout());
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(this::accept);
    return server.listen(address).map(NetServer::actualPort);
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
  public Future<Void> close(java.time.Duration drain) {
    Future<Void> s = server == null ? Future.succeededFuture()
        : server.shutdown(drain.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    Future<Void> c = backends == null ? Future.succeededFuture()
        : backends.shutdown(drain.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    return Future.join(s, c).onComplete(x -> {
      if (idle != null) {
        idle.close();
      }
    }).mapEmpty();
  }

  private void accept(NetSocket tunnel) {
    String id = options.nodeId() + "/in#" + ids.incrementAndGet();
    String source = tunnel.remoteAddress() == null ? "?" : tunnel.remoteAddress().hostAddress();
    if (open.get() >= limits.maxConnections()) {
      overloaded(id, tunnel, source, TunnelMetrics.Limit.MAX_CONNECTIONS, "connection limit of "
          + limits.maxConnections() + " reached (tunnel.max-connections)");
      return;
    }
    if (!rate.tryAcquire(source, System.nanoTime())) {
      overloaded(id, tunnel, source, TunnelMetrics.Limit.HANDSHAKE_RATE, "more than "
          + limits.handshakesPerSecondPerSource() + " handshakes/s from " + source + " (tunnel.handshake-rate)");
      return;
    }
    open.incrementAndGet();
    ((io.vertx.core.internal.net.NetSocketInternal) tunnel).channelHandlerContext().channel().closeFuture()
        .addListener(f -> open.decrementAndGet());
    // The peer's FIN must arrive in order, after frames still queued while we apply back-pressure.
    TcpHalfClose.enable(tunnel);
    new Handshake(id, tunnel, source).begin();
  }

  /**
   * Refuses as {@code overloaded}: counted under the limit that refused, logged at most once a
   * second (a flood must not flood the log too). Limits checked at accept refuse before reading
   * anything, so no MAC or key derivation is spent.
   */
  private void overloaded(String id, NetSocket tunnel, String source, TunnelMetrics.Limit limit, String why) {
    metrics.limitHit(limit);
    PeerMetrics.Peer known = metrics.peers().known(source);
    if (known != null) {
      known.handshakeFailed(FailureReason.OVERLOADED);
    }
    if (overloadLog.allow()) {
      LOG.warning(() -> id + ": refused a connection from " + tunnel.remoteAddress() + " as overloaded: " + why
          + " (further refusals this second are counted, not logged)");
    }
    sendRefusal(tunnel, FailureReason.OVERLOADED);
  }

  /**
   * REFUSE, then a lingering close: closing at once while the peer's hello is still unread would
   * reset the connection, and the reset can discard the REFUSE before the peer reads it.
   */
  private void sendRefusal(NetSocket tunnel, FailureReason reason) {
    KeyState state = schedule.current();
    tunnel.write(Buffer.buffer(RefuseFrame.encode(state == null ? 0 : state.tc(), reason, reason.label())))
        .onComplete(ar -> TcpHalfClose.lingeringClose(tunnel, TcpHalfClose.LINGER));
  }

  /** Takes one of the peer's connection slots until the tunnel closes; false when it has none left. */
  private boolean claimPeerSlot(String peer, NetSocket tunnel) {
    boolean[] claimed = {false};
    perPeer.compute(peer, (k, n) -> {
      int count = n == null ? 0 : n;
      if (count >= limits.maxConnectionsPerPeer()) {
        return n;
      }
      claimed[0] = true;
      return count + 1;
    });
    if (claimed[0]) {
      ((io.vertx.core.internal.net.NetSocketInternal) tunnel).channelHandlerContext().channel().closeFuture()
          .addListener(f -> perPeer.computeIfPresent(peer, (k, n) -> n <= 1 ? null : n - 1));
    }
    return claimed[0];
  }

  /** One inbound connection until it is accepted or refused. */
  private final class Handshake {
    private final String id;
    private final NetSocket tunnel;
    private final String source;
    private final FrameDecoder decoder = new FrameDecoder(this::onFrame);
    /** Set once the hello proved mesh membership: only then does the source get a peer label. */
    private PeerMetrics.Peer peer;
    private TunnelRelay relay;
    private boolean helloSeen;
    private boolean done;
    private long timer;
    private final long started = System.nanoTime();

    Handshake(String id, NetSocket tunnel, String source) {
      this.id = id;
      this.tunnel = tunnel;
      this.source = source;
    }

    void begin() {
      timer = vertx.setTimer(options.handshakeTimeout().toMillis(), t -> refuse(new ProtocolException(
          FailureReason.TIMEOUT, "no complete hello within " + options.handshakeTimeout().toMillis() + " ms")));
      tunnel.handler(this::onBytes);
      tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": " + e));
      tunnel.closeHandler(v -> {
        if (!done) {
          done = true;
          vertx.cancelTimer(timer);
          LOG.fine(() -> id + ": closed during the handshake");
        }
      });
    }

    private void onBytes(Buffer chunk) {
      if (relay != null) {
        relay.onTunnelBytes(chunk);
        return;
      }
      if (chunk.length() == 0) {
        if (!done) {
          done = true;
          vertx.cancelTimer(timer);
          LOG.fine(() -> id + ": closed during the handshake");
        }
        tunnel.close();
        return;
      }
      try {
        decoder.feed(chunk);
      } catch (ProtocolException e) {
        if (relay != null) {
          relay.refuse(e);
        } else {
          refuse(e);
        }
      }
    }

    private void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException {
      if (helloSeen || type != FrameType.HELLO) {
        throw new ProtocolException(FailureReason.MALFORMED, "expected a single HELLO, got " + type);
      }
      helloSeen = true;
      KeyState state = schedule.current();
      if (state == null) {
        throw new ProtocolException(FailureReason.NOT_READY, "this sidecar has no key state yet");
      }
      HelloFrame hello = HelloFrame.parse(frame);
      byte[] chainKey = schedule.keyFor(state, d);
      if (chainKey == null) {
        throw new ProtocolException(state.distanceTo(d) > 0 ? FailureReason.FUTURE_EPOCH : FailureReason.STALE_EPOCH,
            "hello epoch header " + d + ", local tc " + state.tc());
      }
      if (!hello.macValid(chainKey)) {
        throw new ProtocolException(FailureReason.AUTH, "hello MAC does not verify (different mesh seed?)");
      }
      if (!replays.firstSeen(hello.clientRandom(), state.epochFor(d))) {
        throw new ProtocolException(FailureReason.REPLAY, "client random already used");
      }
      peer = metrics.peers().inbound(source);
      SocketAddress backend = services.get(hello.service());
      if (backend == null) {
        throw new ProtocolException(FailureReason.UNKNOWN_SERVICE, "no service named '" + hello.service() + "'");
      }
      // Counted only now, for a verified member: a stranger cannot use up a peer's slots.
      if (!claimPeerSlot(source, tunnel)) {
        stop();
        overloaded(id, tunnel, source, TunnelMetrics.Limit.MAX_CONNECTIONS_PER_PEER, "peer " + source + " has "
            + limits.maxConnectionsPerPeer() + " connections open (tunnel.max-connections-per-peer)");
        return;
      }
      tunnel.pause();
      backends.connect(backend).onComplete(ar -> {
        if (done) {
          if (ar.succeeded()) {
            ar.result().close();
          }
          return;
        }
        if (ar.failed()) {
          refuse(new ProtocolException(FailureReason.BACKEND_UNAVAILABLE,
              "service '" + hello.service() + "' at " + backend + ": " + ar.cause().getMessage()));
          return;
        }
        established(hello, ar.result());
      });
    }

    private void established(HelloFrame hello, NetSocket local) {
      done = true;
      vertx.cancelTimer(timer);
      local.pause();
      TcpHalfClose.enable(local);
      byte[] serverRandom = new byte[Protocol.RANDOM_LENGTH];
      random.nextBytes(serverRandom);
      KeyState state = schedule.current();
      tunnel.write(Buffer.buffer(AcceptFrame.encode(state.tc(), serverRandom, hello.bytes(),
          state.chainKey(KeyRole.CURRENT))));
      TrafficKeys keys = new TrafficKeys(hello.clientRandom(), serverRandom, hello.suite(), options.provider());
      relay = new TunnelRelay(id, TunnelMetrics.Side.INBOUND, local, tunnel, decoder,
          new FrameSealer(schedule, keys, Direction.SERVER_TO_CLIENT),
          new FrameOpener(schedule, keys, Direction.CLIENT_TO_SERVER), metrics, idle, peer);
      metrics.handshake(TunnelMetrics.Side.INBOUND, started);
      LOG.fine(() -> id + ": accepted " + hello.suite() + " stream to service '" + hello.service() + "'");
      relay.start();
    }

    private void refuse(ProtocolException e) {
      if (done) {
        return;
      }
      stop();
      metrics.failure(e.reason());
      PeerMetrics.Peer p = peer != null ? peer : metrics.peers().known(source);
      if (p != null && e.reason() == FailureReason.BACKEND_UNAVAILABLE) {
        p.streamFailed(e.reason()); // our local service's fault, not the peer's
      } else if (p != null) {
        p.handshakeFailed(e.reason());
      }
      LOG.warning(() -> id + ": refused hello from " + tunnel.remoteAddress() + ": " + e.getMessage());
      sendRefusal(tunnel, e.reason());
    }

    private void stop() {
      done = true;
      vertx.cancelTimer(timer);
      decoder.stop();
    }
  }
}
