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
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * An outbound TCP listener: each local connection is carried to one service on a peer sidecar.
 * The local socket stays paused (nothing buffered) until the peer has proved it holds the mesh key
 * in its ACCEPT; a failure at any step resets the local connection and says why in the log.
 */
public final class OutboundListener {
  private static final Logger LOG = Logger.getLogger(OutboundListener.class.getName());

  private final Vertx vertx;
  private final TunnelOptions options;
  private final KeySchedule schedule;
  private final String service;
  private final SocketAddress peer;
  private final TunnelMetrics metrics;
  private final PeerMetrics.Peer peerStats;
  private final SecureRandom random;
  private final AtomicLong ids = new AtomicLong();
  private NetServer server;
  private IdleSweeper idle;
  private NetClient client;

  public OutboundListener(Vertx vertx, TunnelOptions options, KeySchedule schedule, String service,
                          SocketAddress peer, TunnelMetrics metrics, SecureRandom random) {
    this.vertx = vertx;
    this.options = options;
    this.schedule = schedule;
    this.service = service;
    this.peer = peer;
    this.metrics = metrics;
    this.random = random;
    this.peerStats = metrics.peers().configured(peer.host() + ":" + peer.port());
  }

  public Future<Integer> listen(SocketAddress address) {
    client = vertx.createNetClient(new NetClientOptions()
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
    Future<Void> c = client == null ? Future.succeededFuture()
        : client.shutdown(drain.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    return Future.join(s, c).onComplete(x -> {
      if (idle != null) {
        idle.close();
      }
    }).mapEmpty();
  }

  public String service() {
    return service;
  }

  private void accept(NetSocket local) {
    long started = System.nanoTime();
    local.pause();
    TcpHalfClose.enable(local);
    String id = options.nodeId() + "/out#" + ids.incrementAndGet() + "(" + service + ")";
    // An application resetting its connection is routine: said at FINE, not by Vert.x as SEVERE.
    local.exceptionHandler(e -> LOG.fine(() -> id + ": local socket: " + e));
    if (!schedule.isReady()) {
      metrics.failure(FailureReason.NOT_READY);
      LOG.warning(() -> id + ": no key state yet, refusing the local connection");
      TcpHalfClose.abort(local);
      return;
    }
    client.connect(peer).onComplete(ar -> {
      if (ar.failed()) {
        metrics.failure(FailureReason.BACKEND_UNAVAILABLE);
        peerStats.handshakeFailed(FailureReason.BACKEND_UNAVAILABLE);
        LOG.warning(() -> id + ": cannot reach peer sidecar " + peer + ": " + ar.cause().getMessage());
        TcpHalfClose.abort(local);
        return;
      }
      // The peer's FIN must arrive in order, after frames still queued while we apply back-pressure.
      TcpHalfClose.enable(ar.result());
      new Handshake(id, local, ar.result(), started).begin();
    });
  }

  /** One outbound connection from HELLO until ACCEPT or refusal. */
  private final class Handshake {
    private final String id;
    private final NetSocket local;
    private final NetSocket tunnel;
    private final FrameDecoder decoder = new FrameDecoder(this::onFrame);
    private final byte[] clientRandom = new byte[Protocol.RANDOM_LENGTH];
    private byte[] hello;
    private TunnelRelay relay;
    private boolean done;
    private long timer;
    private final long started;

    Handshake(String id, NetSocket local, NetSocket tunnel, long started) {
      this.started = started;
      this.id = id;
      this.local = local;
      this.tunnel = tunnel;
    }

    void begin() {
      timer = vertx.setTimer(options.handshakeTimeout().toMillis(), t -> fail(new ProtocolException(
          FailureReason.TIMEOUT, "no answer from peer " + peer + " within "
          + options.handshakeTimeout().toMillis() + " ms")));
      tunnel.handler(this::onBytes);
      tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": " + e));
      tunnel.closeHandler(v -> fail(new ProtocolException(FailureReason.TRUNCATED,
          "peer " + peer + " closed the connection during the handshake")));
      local.closeHandler(v -> {
        if (!done) {
          done = true;
          vertx.cancelTimer(timer);
          tunnel.close();
        }
      });
      random.nextBytes(clientRandom);
      KeyState state = schedule.current();
      hello = HelloFrame.encode(state.tc(), options.cipher(), clientRandom, service, state.chainKey(KeyRole.CURRENT));
      tunnel.write(Buffer.buffer(hello));
    }

    private void onBytes(Buffer chunk) {
      if (relay != null) {
        relay.onTunnelBytes(chunk);
        return;
      }
      if (chunk.length() == 0) {
        fail(new ProtocolException(FailureReason.TRUNCATED, "peer " + peer + " closed the connection during the "
            + "handshake"));
        return;
      }
      try {
        decoder.feed(chunk);
      } catch (ProtocolException e) {
        if (relay != null) {
          relay.refuse(e);
        } else {
          fail(e);
        }
      }
    }

    private void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException {
      if (type == FrameType.REFUSE) {
        FailureReason reason = RefuseFrame.reason(frame);
        throw new ProtocolException(reason, "peer " + peer + " refused the hello: " + RefuseFrame.text(frame));
      }
      if (type != FrameType.ACCEPT) {
        throw new ProtocolException(FailureReason.MALFORMED, "expected ACCEPT, got " + type);
      }
      if (AcceptFrame.version(frame) != Protocol.VERSION) {
        throw new ProtocolException(FailureReason.UNSUPPORTED, "accept version " + AcceptFrame.version(frame));
      }
      KeyState state = schedule.current();
      byte[] chainKey = schedule.keyFor(state, d);
      if (chainKey == null) {
        throw new ProtocolException(state.distanceTo(d) > 0 ? FailureReason.FUTURE_EPOCH : FailureReason.STALE_EPOCH,
            "accept epoch header " + d + ", local tc " + state.tc());
      }
      if (!AcceptFrame.macValid(frame, hello, chainKey)) {
        throw new ProtocolException(FailureReason.AUTH, "accept MAC does not verify (peer not in this mesh?)");
      }
      done = true;
      vertx.cancelTimer(timer);
      TrafficKeys keys = new TrafficKeys(clientRandom, AcceptFrame.serverRandom(frame), options.cipher(),
          options.provider());
      relay = new TunnelRelay(id, TunnelMetrics.Side.OUTBOUND, local, tunnel, decoder,
          new FrameSealer(schedule, keys, Direction.CLIENT_TO_SERVER),
          new FrameOpener(schedule, keys, Direction.SERVER_TO_CLIENT), metrics, idle, peerStats);
      metrics.handshake(TunnelMetrics.Side.OUTBOUND, started);
      relay.start();
    }

    private void fail(ProtocolException e) {
      if (done) {
        return;
      }
      done = true;
      vertx.cancelTimer(timer);
      decoder.stop();
      metrics.failure(e.reason());
      peerStats.handshakeFailed(e.reason());
      LOG.warning(() -> id + ": " + e.getMessage());
      TcpHalfClose.abort(local);
      tunnel.close();
    }
  }
}
