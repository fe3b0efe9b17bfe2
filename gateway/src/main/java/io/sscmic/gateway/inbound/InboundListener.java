package io.sscmic.gateway.inbound;

import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.frame.RefuseFrame;
import io.sscmic.gateway.tunnel.HandshakeConnection;
import io.sscmic.gateway.tunnel.LogThrottle;
import io.sscmic.gateway.tunnel.PeerMetrics;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.sscmic.gateway.tunnel.TunnelListener;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The inbound tunnel listener: each connection's hello is judged by a {@link ServerHandshake}
 * (epoch window, membership MAC, replay, known service); this class adds what needs sockets: the
 * abuse limits, the ACCEPT or REFUSE on the wire, the connection to the named local service and
 * the hand-off to the relay. A refused hello gets a REFUSE frame with its reason, a counter and a
 * log line (at most one a second: strangers choose how often), and no backend connection.
 *
 * <p>Before its hello verifies, a connection holds a handshake slot (a pool as large as
 * {@code max-connections}, at most {@code max-handshakes-per-source} from one address) and its
 * decoder takes nothing but a HELLO header, so it can make the node buffer at most one hello. The
 * local service is dialled only once the client's first frame after ACCEPT has opened under the
 * traffic keys: a replayed hello, which earns an ACCEPT at a node that has not seen it, opens no
 * connection to the service.
 */
public final class InboundListener extends TunnelListener {
  private static final Logger LOG = Logger.getLogger(InboundListener.class.getName());
  /** Hellos remembered against replay (an entry per verified hello of the current epochs). */
  public static final int REPLAY_CACHE_ENTRIES = 1 << 18;

  private final Map<String, SocketAddress> services;
  private final ServerHandshake handshakes;
  private final V2Handoff v2;
  /** Connections whose hello verified (the established pool). */
  private final AtomicInteger established = new AtomicInteger();
  /** Connections still in their handshake (a pool of its own), and per source address. */
  private final AtomicInteger handshaking = new AtomicInteger();
  private final Map<String, Integer> handshakingPerSource = new ConcurrentHashMap<>();
  private final TunnelLimits limits;
  private final HandshakeRateLimit rate;
  private final LogThrottle overloadLog = new LogThrottle();
  private final LogThrottle refusalLog = new LogThrottle();
  /** Open connections per peer (source address) whose hello verified. */
  private final Map<String, Integer> perPeer = new ConcurrentHashMap<>();

  public InboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                         TunnelMetrics metrics, SecureRandom random) {
    this(vertx, options, schedule, services, metrics, random, TunnelLimits.DEFAULTS);
  }

  public InboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                         TunnelMetrics metrics, SecureRandom random, TunnelLimits limits) {
    this(vertx, options, schedule, services, metrics, random, limits, HelloReplayCache.forSchedule(schedule));
  }

  /**
   * @param replays the hellos already seen; a node shares one cache between the listener it
   *     replaces at a config reload and the new one, so a hello cannot be replayed across it
   */
  public InboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                         TunnelMetrics metrics, SecureRandom random, TunnelLimits limits, HelloReplayCache replays) {
    this(vertx, options, schedule, services, metrics, random, limits, replays, null);
  }

  /**
   * @param v2 where connections that start with a v2 record go (the same port serves both versions
   *     during the migration), or null: this node speaks v1 only (it has no certificate), and the v1
   *     path refuses them
   */
  public InboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, Map<String, SocketAddress> services,
                         TunnelMetrics metrics, SecureRandom random, TunnelLimits limits, HelloReplayCache replays,
                         V2Handoff v2) {
    super(vertx, options, schedule, metrics, TunnelMetrics.Side.INBOUND);
    this.v2 = v2;
    this.limits = limits;
    this.rate = new HandshakeRateLimit(limits.handshakesPerSecondPerSource());
    this.services = Map.copyOf(services);
    this.handshakes = new ServerHandshake(schedule, replays, this.services.keySet(), options.provider(), random);
  }

  @Override
  protected void accept(NetSocket tunnel) {
    String id = nextId();
    String source = tunnel.remoteAddress() == null ? "?" : tunnel.remoteAddress().hostAddress();
    if (established.get() >= limits.maxConnections()) {
      overloaded(id, tunnel, null, TunnelMetrics.Limit.MAX_CONNECTIONS, "connection limit of "
          + limits.maxConnections() + " reached (tunnel.max-connections)");
      return;
    }
    // Claimed, not just checked: the listener accepts on several event loops at once, and a check
    // followed by an increment would let each loop take the last slot.
    TunnelMetrics.Limit full = claimHandshakeSlot(source);
    if (full == TunnelMetrics.Limit.MAX_HANDSHAKES) {
      overloaded(id, tunnel, null, TunnelMetrics.Limit.MAX_HANDSHAKES, limits.maxConnections()
          + " connections are in their handshake (as many as tunnel.max-connections)");
      return;
    }
    if (full == TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE) {
      overloaded(id, tunnel, null, TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE, source + " has "
          + limits.maxHandshakesPerSource() + " connections in their handshake (tunnel.max-handshakes-per-source)");
      return;
    }
    if (!rate.tryAcquire(source, System.nanoTime())) {
      releaseHandshakeSlot(source);
      overloaded(id, tunnel, null, TunnelMetrics.Limit.HANDSHAKE_RATE, "more than "
          + limits.handshakesPerSecondPerSource() + " handshakes/s from " + source + " (tunnel.handshake-rate)");
      return;
    }
    Handshake h = new Handshake(id, tunnel, source);
    h.holdHandshakeSlot();
    // The peer's FIN must arrive in order, after frames still queued while we apply back-pressure.
    TcpHalfClose.enable(tunnel);
    h.start();
  }

  /**
   * Takes a slot in the handshake pool and one of the source's; null when both were free, else the
   * limit that is full (nothing taken).
   */
  private TunnelMetrics.Limit claimHandshakeSlot(String source) {
    if (handshaking.incrementAndGet() > limits.maxConnections()) {
      handshaking.decrementAndGet();
      return TunnelMetrics.Limit.MAX_HANDSHAKES;
    }
    boolean[] claimed = {false};
    handshakingPerSource.compute(source, (k, n) -> {
      int count = n == null ? 0 : n;
      if (count >= limits.maxHandshakesPerSource()) {
        return n;
      }
      claimed[0] = true;
      return count + 1;
    });
    if (!claimed[0]) {
      handshaking.decrementAndGet();
      return TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE;
    }
    return null;
  }

  private void releaseHandshakeSlot(String source) {
    handshaking.decrementAndGet();
    handshakingPerSource.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
  }

  private static void onClose(NetSocket socket, Runnable action) {
    VertxInternals.channel(socket).closeFuture().addListener(f -> action.run());
  }

  /** The v2 hand-off of this listener, or null. */
  public V2Handoff v2() {
    return v2;
  }

  /**
   * Refuses as {@code overloaded}: counted under the limit that refused, logged at most once a
   * second (a flood must not flood the log too). Limits checked at accept refuse before reading
   * anything, so no MAC or key derivation is spent. {@code member} is the peer whose hello this
   * connection verified, or null: only a verified member's row is marked, since a refusal before
   * any hello proves nothing about the members at that address (another process, a shared NAT).
   */
  private void overloaded(String id, NetSocket tunnel, PeerMetrics.Peer member, TunnelMetrics.Limit limit,
      String why) {
    metrics.limitHit(limit);
    if (member != null) {
      member.handshakeFailed(FailureReason.OVERLOADED);
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
      onClose(tunnel, () -> perPeer.computeIfPresent(peer, (k, n) -> n <= 1 ? null : n - 1));
    }
    return claimed[0];
  }

  /**
   * A v2 connection's peer authenticated: it leaves the unauthenticated budget and takes an
   * established slot (and one of its source address's), as a v1 connection whose hello verified.
   */
  private boolean admitV2(Handshake h, String peerNodeId) {
    h.releaseHandshakeSlot();
    if (established.incrementAndGet() > limits.maxConnections()) {
      established.decrementAndGet();
      metrics.limitHit(TunnelMetrics.Limit.MAX_CONNECTIONS);
      LOG.fine(() -> h.id() + ": refused v2 peer " + peerNodeId + ": connection limit reached (tunnel.max-connections)");
      return false;
    }
    onClose(h.socket(), established::decrementAndGet);
    if (!claimPeerSlot(h.source, h.socket())) {
      metrics.limitHit(TunnelMetrics.Limit.MAX_CONNECTIONS_PER_PEER);
      LOG.fine(() -> h.id() + ": refused v2 peer " + peerNodeId + " from " + h.source
          + ": tunnel.max-connections-per-peer reached");
      return false;
    }
    return true;
  }

  /**
   * One inbound connection until its stream starts or it is refused: a HELLO, then (after ACCEPT)
   * the client's first sealed frame, then the connection to the local service.
   */
  private final class Handshake extends HandshakeConnection {
    private final String source;
    /** Set once the hello proved mesh membership: only then does the source get a peer label. */
    private PeerMetrics.Peer peer;
    private boolean helloSeen;
    private boolean holdsHandshakeSlot;
    private final long started = System.nanoTime();
    /** Set once ACCEPT is sent: failures from then on are told in a sealed ERROR, not a REFUSE. */
    private ServerHandshake.Accepted accepted;
    private FrameSealer sealer;
    /** The first sealed frame and any that followed it in the same read, kept for the relay. */
    private ByteArrayOutputStream early;

    /** The first bytes, held until there are enough of them to tell the version (v2 hand-off only). */
    private Buffer head;
    private boolean versionKnown;

    Handshake(String id, NetSocket tunnel, String source) {
      super(id, tunnel);
      this.source = source;
      decoder.expect(EnumSet.of(FrameType.HELLO));
    }


    String id() {
      return id;
    }

    NetSocket socket() {
      return tunnel;
    }

    /**
     * The third byte of a connection is the record type: 0x20-0x2f a v2 record (the connection goes
     * to the v2 hand-off, keeping its handshake slot until its peer authenticates), anything else a
     * v1 frame for this handshake.
     */
    @Override
    protected Buffer divert(Buffer chunk) {
      if (versionKnown || v2 == null || chunk.length() == 0 || done()) {
        return chunk;
      }
      head = head == null ? chunk.copy() : head.appendBuffer(chunk);
      if (head.length() < 3) {
        return null;
      }
      versionKnown = true;
      Buffer first = head;
      head = null;
      if (!V2Handoff.isV2(first.getByte(2))) {
        return first;
      }
      finish();
      decoder.stop();
      v2.adopt(tunnel, first, peer -> admitV2(this, peer));
      return null;
    }

    /** The handshake slots {@link #claimHandshakeSlot} took are this connection's now. */
    void holdHandshakeSlot() {
      holdsHandshakeSlot = true;
      onClose(tunnel, this::releaseHandshakeSlot);
    }

    /** Once: when the hello verified (v2: the peer authenticated) or the connection closed, whichever comes first. */
    void releaseHandshakeSlot() {
      if (holdsHandshakeSlot) {
        holdsHandshakeSlot = false;
        InboundListener.this.releaseHandshakeSlot(source);
      }
    }

    void start() {
      begin(vertx, options.handshakeTimeout(), () -> new ProtocolException(FailureReason.TIMEOUT,
          (accepted == null ? "no complete hello" : "no authenticated first frame after ACCEPT") + " within "
          + options.handshakeTimeout().toMillis() + " ms"));
      tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": " + e));
      tunnel.closeHandler(v -> closedEarly());
    }

    @Override
    protected void onPeerClosed() {
      closedEarly();
      tunnel.close();
    }

    private void closedEarly() {
      if (!finish()) {
        return;
      }
      if (accepted == null) {
        LOG.fine(() -> id + ": closed during the handshake");
      } else {
        // After ACCEPT the connection is a stream: closing it before it ended is a truncation.
        decoder.stop();
        metrics.failure(FailureReason.TRUNCATED);
        peer.streamFailed(FailureReason.TRUNCATED);
        LOG.fine(() -> id + ": closed after ACCEPT, before its first frame");
      }
    }

    @Override
    protected void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException {
      if (accepted == null) {
        onHello(type, frame);
      } else if (early == null) {
        onFirstFrame(d, type, frame);
      } else {
        early.write(frame, 0, frame.length); // behind the first frame in the same read: the relay's
      }
    }

    private void onHello(FrameType type, byte[] frame) throws ProtocolException {
      if (helloSeen || type != FrameType.HELLO) {
        throw new ProtocolException(FailureReason.MALFORMED, "expected a single HELLO, got " + type);
      }
      helloSeen = true;
      ServerHandshake.Result result = handshakes.answer(frame);
      if (result instanceof ServerHandshake.Refused refused) {
        if (refused.member()) {
          peer = metrics.peers().inbound(source);
        }
        throw refused.exception();
      }
      ServerHandshake.Accepted ok = (ServerHandshake.Accepted) result;
      peer = metrics.peers().inbound(source);
      // From a handshake slot to an established one: the pools are separate, so that connections
      // that never send a valid hello cannot fill the one members need.
      releaseHandshakeSlot();
      if (established.incrementAndGet() > limits.maxConnections()) {
        established.decrementAndGet();
        stop();
        overloaded(id, tunnel, peer, TunnelMetrics.Limit.MAX_CONNECTIONS, "connection limit of "
            + limits.maxConnections() + " reached (tunnel.max-connections)");
        return;
      }
      onClose(tunnel, established::decrementAndGet);
      // Counted only now, for a verified member: a stranger cannot use up a peer's slots.
      if (!claimPeerSlot(source, tunnel)) {
        stop();
        overloaded(id, tunnel, peer, TunnelMetrics.Limit.MAX_CONNECTIONS_PER_PEER, "peer " + source + " has "
            + limits.maxConnectionsPerPeer() + " connections open (tunnel.max-connections-per-peer)");
        return;
      }
      accepted = ok;
      sealer = new FrameSealer(schedule, ok.keys(), Direction.SERVER_TO_CLIENT);
      decoder.expect(FrameType.SEALED);
      tunnel.write(Buffer.buffer(ok.accept()));
    }

    /**
     * The client's first frame after ACCEPT (its key confirmation): it must open under the traffic
     * keys, which only a holder of the chain key can derive. Only then is the local service dialled.
     */
    private void onFirstFrame(int d, FrameType type, byte[] frame) throws ProtocolException {
      // A scratch opener: the relay opens this frame again with its own, from sequence 0.
      new FrameOpener(schedule, accepted.keys(), Direction.CLIENT_TO_SERVER).open(d, type, frame);
      early = new ByteArrayOutputStream(frame.length);
      early.write(frame, 0, frame.length);
      tunnel.pause();
      SocketAddress backend = services.get(accepted.service());
      client().connect(backend).onComplete(ar -> {
        if (done()) {
          if (ar.succeeded()) {
            ar.result().close();
          }
          return;
        }
        if (ar.failed()) {
          fail(new ProtocolException(FailureReason.BACKEND_UNAVAILABLE,
              "service '" + accepted.service() + "' at " + backend + ": " + ar.cause().getMessage()));
          return;
        }
        established(ar.result());
      });
    }

    private void established(NetSocket local) {
      finish();
      local.pause();
      TcpHalfClose.enable(local);
      LOG.fine(() -> id + ": accepted " + accepted.hello().suite() + " stream to service '" + accepted.service()
          + "'");
      relay(handOff(id, local, tunnel, decoder, accepted.keys(), peer, started), early.toByteArray());
    }

    @Override
    protected void fail(ProtocolException e) {
      if (done()) {
        return;
      }
      stop();
      metrics.failure(e.reason());
      // Only a peer whose hello this connection verified gets the failure on its row: garbage or a
      // stranger's hello from a member's address is counted above, not held against the member.
      PeerMetrics.Peer p = peer;
      if (p != null && e.reason() == FailureReason.BACKEND_UNAVAILABLE) {
        p.streamFailed(e.reason()); // our local service's fault, not the peer's
      } else if (p != null) {
        p.handshakeFailed(e.reason());
      }
      if (refusalLog.allow()) {
        LOG.warning(() -> id + ": refused " + (accepted == null ? "hello" : "stream") + " from "
            + tunnel.remoteAddress() + ": " + e.getMessage()
            + " (further refusals this second are counted, not logged)");
      } else {
        LOG.fine(() -> id + ": refused " + (accepted == null ? "hello" : "stream") + " from "
            + tunnel.remoteAddress() + ": " + e.getMessage());
      }
      if (sealer == null) {
        sendRefusal(tunnel, e.reason());
      } else {
        // ACCEPT is out: the client reads sealed frames now, so it is told in an ERROR.
        tunnel.write(sealer.error(e.reason(), e.reason().description()))
            .onComplete(ar -> TcpHalfClose.lingeringClose(tunnel, TcpHalfClose.LINGER));
      }
    }

    private void stop() {
      finish();
      decoder.stop();
    }
  }
}
