package io.sscmic.gateway.outbound;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.mux.AppStreams;
import io.sscmic.gateway.record.RecordLayerException;
import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.mux.PeerUnavailableException;
import io.sscmic.gateway.mux.StreamResetException;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.tunnel.LogThrottle;
import io.sscmic.gateway.resolve.PeerResolver;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.sscmic.gateway.tunnel.HandshakeConnection;
import io.sscmic.gateway.tunnel.PeerMetrics;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.sscmic.gateway.tunnel.TunnelListener;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * An outbound TCP listener: each local connection is carried to one service on a peer sidecar,
 * which a {@link TunnelConnector} picks among the endpoints the {@link PeerResolver} knows now.
 * The local socket stays paused (nothing buffered) until the peer has proved it holds the mesh key
 * in its ACCEPT ({@link ClientHandshake}); the first frame it sends is then the key confirmation
 * (an empty DATA frame) that the peer waits for before it connects to its service. A failure at
 * any step resets the local connection and says why in the log.
 */
public final class OutboundListener extends TunnelListener {
  private static final Logger LOG = Logger.getLogger(OutboundListener.class.getName());

  private final String service;
  private final PeerResolver resolver;
  private final SecureRandom random;
  /** One connector per event loop the listener accepts on (a connector is confined to its context). */
  private final Map<Context, TunnelConnector> connectors = new ConcurrentHashMap<>();
  private final PeerPool pool;
  private final LogThrottle v2Log = new LogThrottle();
  private final java.util.concurrent.atomic.AtomicInteger nextV2 = new java.util.concurrent.atomic.AtomicInteger();
  /** A client of this listener's, for a connector on a context the listener does not accept on (interception). */
  private volatile NetClient anyClient;

  /** A listener for one service at one fixed peer sidecar. */
  public OutboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, String service,
                          SocketAddress peer, TunnelMetrics metrics, SecureRandom random) {
    this(vertx, options, schedule, service, new StaticPeerResolver(Map.of(service, List.of(Endpoint.of(peer)))),
        metrics, random);
  }

  /** A listener for one service at whichever peer sidecars {@code resolver} names, as they change. */
  public OutboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, String service,
                          PeerResolver resolver, TunnelMetrics metrics, SecureRandom random) {
    this(vertx, options, schedule, service, resolver, metrics, random, null);
  }

  /**
   * @param pool the node's tunnel v2 peer pool, or null to dial v1 only: with it, a connection to
   *     an endpoint whose node id is known goes as a stream over the pool (docs/MUX-v2.md), one to
   *     an endpoint without a node id as a v1 tunnel
   */
  public OutboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, String service,
                          PeerResolver resolver, TunnelMetrics metrics, SecureRandom random, PeerPool pool) {
    super(vertx, options, schedule, metrics, TunnelMetrics.Side.OUTBOUND);
    this.service = service;
    this.resolver = resolver;
    this.random = random;
    this.pool = pool;
  }

  @Override
  protected void onListen(NetClient client) {
    anyClient = client;
    connectors.put(Vertx.currentContext(), newConnector(client));
  }

  private TunnelConnector newConnector(NetClient client) {
    // A peer reached over tunnel v2 (its endpoint names its node) is labelled by that node id in
    // sscmic_mux_*; an address label for it too would show an idle second edge in the topology.
    return new TunnelConnector(client, resolver, service, endpoints -> endpoints.stream()
        .filter(e -> pool == null || e.nodeId() == null)
        .forEach(e -> metrics.peers().configured(e.address())));
  }

  /**
   * The connector of the calling event loop: each loop the listener accepts on has its own; a
   * connection carried in from elsewhere (interception's listener, on its own context) gets one
   * for that context on first use.
   */
  private TunnelConnector connector() {
    return connectors.computeIfAbsent(Vertx.currentContext(), c -> newConnector(anyClient));
  }

  @Override
  protected void onClosed() {
    connectors.values().forEach(TunnelConnector::close);
  }

  public String service() {
    return service;
  }

  /**
   * Seam for transparent interception (package intercept): carries a connection that another
   * listener accepted exactly as one accepted here, on the caller's own context, once
   * {@link #listen} has completed.
   */
  public void carry(NetSocket local) {
    accept(local);
  }

  /**
   * Readies {@link #carry} on the calling context (interception's own): a connector there, whose
   * resolver delivers its endpoint set on that context before the caller starts accepting. Without
   * it the first carried connection would find no endpoint yet and be reset.
   */
  public void prepareCarry() {
    connector();
  }

  @Override
  protected void accept(NetSocket local) {
    long started = System.nanoTime();
    local.pause();
    TcpHalfClose.enable(local);
    String id = nextId() + "(" + service + ")";
    // An application resetting its connection is routine: said at FINE, not by Vert.x as SEVERE.
    local.exceptionHandler(e -> LOG.fine(() -> id + ": local socket: " + e));
    if (!schedule.isReady()) {
      metrics.failure(FailureReason.NOT_READY);
      LOG.warning(() -> id + ": no key state yet, refusing the local connection");
      TcpHalfClose.abort(local);
      return;
    }
    Endpoint v2Peer = pool == null ? null : nextV2Endpoint();
    if (v2Peer != null) {
      relayV2(id, local, v2Peer);
      return;
    }
    connector().connect().onComplete(ar -> {
      if (ar.failed()) {
        // The peer sidecar, not the service behind it: the runbook points at the peer's host.
        metrics.failure(FailureReason.PEER_UNREACHABLE);
        if (ar.cause() instanceof TunnelConnector.Unreachable u) {
          u.tried().forEach(e -> metrics.peers().configured(e.address())
              .handshakeFailed(FailureReason.PEER_UNREACHABLE));
        }
        LOG.warning(() -> id + ": cannot reach a peer sidecar for '" + service + "': " + ar.cause().getMessage());
        TcpHalfClose.abort(local);
        return;
      }
      TunnelConnector.Connection c = ar.result();
      // The peer's FIN must arrive in order, after frames still queued while we apply back-pressure.
      TcpHalfClose.enable(c.socket());
      new Handshake(id, local, c, started).start();
    });
  }

  /** The next endpoint in turn whose node id is known (a v2 INIT names it), or null when none is. */
  private Endpoint nextV2Endpoint() {
    List<Endpoint> set = connector().endpoints();
    int start = nextV2.getAndIncrement();
    for (int k = 0; k < set.size(); k++) {
      Endpoint e = set.get(Math.floorMod(start + k, set.size()));
      if (e.nodeId() != null) {
        return e;
      }
    }
    return null;
  }

  /**
   * Tunnel v2: the local connection becomes one stream over the node's pool (no TCP handshake and
   * no round trip when a pooled connection is open). A failure resets the local connection: the
   * pool could not reach or authenticate the peer ({@code peer_unreachable}), or the peer refused
   * or reset the stream (counted by the multiplexer by reason).
   */
  private void relayV2(String id, NetSocket local, Endpoint peer) {
    AppStreams.relay(pool, peer, service, local).onFailure(e -> {
      if (e instanceof PeerUnavailableException) {
        metrics.failure(FailureReason.PEER_UNREACHABLE);
        // Per peer too, as on v1: SscmicPeerUnreachable and the dashboard's "Peer failures by
        // reason" read sscmic_peer_failures_total{peer}, which a v2 route never counted (a dead
        // peer raised no alert). Counted, not marked failing: no v2 success would clear it.
        metrics.peers().configured(peer.address()).streamFailed(FailureReason.PEER_UNREACHABLE);
      }
      String why = id + ": v2 stream to '" + service + "' at " + peer + " failed: " + describe(e);
      if (e instanceof StreamResetException || !v2Log.allow()) {
        LOG.fine(() -> why);
      } else {
        LOG.warning(() -> why + " (further failures this second are counted, not logged)");
      }
    });
  }

  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
    boolean v1Only = false;
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      b.append(": ").append(c.getMessage());
      v1Only |= c instanceof RecordLayerException r && r.reason() == AlertReason.UNSUPPORTED;
    }
    if (v1Only) {
      // The rolling-upgrade rule (docs/PROTOCOL-v2.md section 7): no silent fallback to v1.
      b.append(" (the peer speaks tunnel v1 only: upgrade it, or remove this route's peer-node, or set "
          + "tunnel.version: v1 until it is upgraded)");
    }
    return b.toString();
  }

  /** One outbound connection from HELLO until ACCEPT or refusal. */
  private final class Handshake extends HandshakeConnection {
    private final NetSocket local;
    private final Endpoint peer;
    private final PeerMetrics.Peer peerStats;
    private final long started;
    private ClientHandshake handshake;

    Handshake(String id, NetSocket local, TunnelConnector.Connection connection, long started) {
      super(id, connection.socket());
      this.started = started;
      this.local = local;
      this.peer = connection.endpoint();
      this.peerStats = metrics.peers().configured(peer.address());
      decoder.expect(EnumSet.of(FrameType.ACCEPT, FrameType.REFUSE));
    }

    void start() {
      begin(vertx, options.handshakeTimeout(), () -> new ProtocolException(FailureReason.TIMEOUT,
          "no answer from peer " + peer + " within " + options.handshakeTimeout().toMillis() + " ms"));
      tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": " + e));
      tunnel.closeHandler(v -> onPeerClosed());
      local.closeHandler(v -> {
        if (finish()) {
          tunnel.close();
        }
      });
      handshake = new ClientHandshake(schedule, options.cipher(), options.provider(), random, service);
      tunnel.write(Buffer.buffer(handshake.hello()));
    }

    @Override
    protected void onPeerClosed() {
      fail(new ProtocolException(FailureReason.TRUNCATED,
          "peer " + peer + " closed the connection during the handshake"));
    }

    @Override
    protected void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException {
      ClientHandshake.Result result = handshake.answer(frame);
      if (result instanceof ClientHandshake.Failed failed) {
        throw new ProtocolException(failed.reason(), "peer " + peer + ": " + failed.detail());
      }
      finish();
      relayConfirmingKeys(handOff(id, local, tunnel, decoder, ((ClientHandshake.Established) result).keys(),
          peerStats, started));
    }

    @Override
    protected void fail(ProtocolException e) {
      if (!finish()) {
        return;
      }
      decoder.stop();
      metrics.failure(e.reason());
      peerStats.handshakeFailed(e.reason());
      LOG.warning(() -> id + ": " + e.getMessage());
      TcpHalfClose.abort(local);
      tunnel.close();
    }
  }
}
