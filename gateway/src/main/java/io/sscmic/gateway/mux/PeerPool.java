package io.sscmic.gateway.mux;

import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.sscmic.gateway.resolve.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The calling node's long-lived connections to its peers, per peer endpoint.
 *
 * <ul>
 *   <li>Opened on first use; callers that arrive while a connection is being opened wait for that
 *       one (one connect, however many first uses).
 *   <li>A stream goes on the live connection with the fewest streams that still has room under the
 *       peer's SETTINGS_MAX_CONCURRENT_STREAMS. A further connection is opened only when every live
 *       one is full, up to {@link MuxSettings#connectionsPerPeer()}; beyond that the open fails
 *       with {@link PeerUnavailableException.Reason#SATURATED}. With a spread threshold
 *       ({@link #PeerPool(PeerConnector, int)}) a further connection is opened, and the stream
 *       waits for it, as soon as every live one carries that many streams: each connection runs on
 *       one event loop, so a few bulk streams on one connection would use one core only.
 *   <li>Near the caller: an open that names the event loop its application connection runs on gets
 *       a connection on that loop when one has room, and otherwise a further connection is dialled
 *       on that loop in the background (up to the limit) while this stream takes another. Relaying
 *       within one loop costs no cross-thread hand-off: before, with two loops, every small request
 *       woke the other loop (an eventfd write and an epoll wake-up each, 0.7 per redis GET).
 *   <li>Kept warm by HTTP/2 PING ({@link KeepAlive}); a connection without streams for the idle
 *       timeout is closed with GOAWAY; one that closes or receives GOAWAY takes no more streams and
 *       the next open dials a new one.
 *   <li>{@link #close()} sends GOAWAY on every connection and lets open streams drain.
 * </ul>
 * Thread-safe: the state of one endpoint is guarded by its slot's lock, never held across I/O.
 */
public final class PeerPool {
  private final PeerConnector connector;
  private final MuxSettings settings;
  private final MuxMetrics metrics;
  private final Map<Endpoint, Slot> slots = new ConcurrentHashMap<>();
  private final int spreadAt;
  private volatile boolean closed;

  public PeerPool(PeerConnector connector) {
    this(connector, 0);
  }

  /**
   * @param spreadAt open a further connection (up to {@link MuxSettings#connectionsPerPeer()}) once
   *     every live one carries this many streams; 0: only when every live one is full
   */
  public PeerPool(PeerConnector connector, int spreadAt) {
    this.connector = connector;
    this.settings = connector.settings();
    this.metrics = connector.metrics();
    this.spreadAt = spreadAt;
  }

  /**
   * Opens a stream to {@code service} on {@code peer}. The future fails with
   * {@link PeerUnavailableException} when no connection can carry it; the stream's own
   * {@link MuxStream#accepted()} tells whether the peer took it.
   */
  public Future<MuxStream> open(Endpoint peer, String service) {
    return open(peer, service, null);
  }

  /** As {@link #open(Endpoint, String)}, preferring a connection on event loop {@code near} (may be null). */
  public Future<MuxStream> open(Endpoint peer, String service, EventLoop near) {
    Promise<MuxStream> promise = ImmediateEventExecutor.INSTANCE.newPromise();
    if (closed) {
      promise.setFailure(new PeerUnavailableException(PeerUnavailableException.Reason.SHUTDOWN, peer.toString(), null));
      return promise;
    }
    slots.computeIfAbsent(peer, Slot::new).open(near, new Opening() {
      @Override
      public void on(PeerConnection c) {
        c.openReserved(service, promise);
      }

      @Override
      public void fail(Throwable e) {
        metrics.peer(peer.nodeId()).streamFailed(Role.CLIENT); // no connection to the peer: the edge failed
        promise.tryFailure(e);
      }
    });
    return promise;
  }

  /**
   * Opens a request stream (issue 16, see {@link RequestStreamHandler} for the receiving side) to
   * {@code peer}: {@code head} goes out as the stream's HEADERS (an ordinary HTTP/2 request,
   * {@code :authority} = the service), and {@code handler} reads the peer's answer, unlike a
   * CONNECT stream's no {@link ClientStreamHandler} in front of it. The stream's channel has
   * auto-read off; one read is requested for the answer. Fails as {@link #open}.
   */
  public Future<Http2StreamChannel> openRequest(Endpoint peer, Http2Headers head, boolean endStream,
                                                ChannelHandler handler) {
    return openRequest(peer, head, endStream, handler, null);
  }

  /** As above, preferring a connection on event loop {@code near} (may be null), as {@link #open(Endpoint, String, EventLoop)}. */
  public Future<Http2StreamChannel> openRequest(Endpoint peer, Http2Headers head, boolean endStream,
                                                ChannelHandler handler, EventLoop near) {
    Promise<Http2StreamChannel> promise = ImmediateEventExecutor.INSTANCE.newPromise();
    if (closed) {
      promise.setFailure(new PeerUnavailableException(PeerUnavailableException.Reason.SHUTDOWN, peer.toString(), null));
      return promise;
    }
    slots.computeIfAbsent(peer, Slot::new).open(near, new Opening() {
      @Override
      public void on(PeerConnection c) {
        c.openRequestReserved(head, endStream, handler, promise);
      }

      @Override
      public void fail(Throwable e) {
        metrics.peer(peer.nodeId()).streamFailed(Role.CLIENT); // no connection to the peer: the edge failed
        promise.tryFailure(e);
      }
    });
    return promise;
  }

  MuxMetrics metrics() {
    return metrics;
  }

  /** Live connections to {@code peer}, draining ones included. */
  public List<PeerConnection> connections(Endpoint peer) {
    Slot slot = slots.get(peer);
    if (slot == null) {
      return List.of();
    }
    synchronized (slot) {
      return List.copyOf(slot.live);
    }
  }

  /** Closes at once every connection to {@code peerNode} (it was revoked): its streams are reset. */
  public int cut(String peerNode) {
    int n = 0;
    for (Slot slot : slots.values()) {
      List<PeerConnection> live;
      synchronized (slot) {
        live = List.copyOf(slot.live);
      }
      for (PeerConnection c : live) {
        if (peerNode.equals(c.peerNodeId())) {
          c.cut();
          n++;
        }
      }
    }
    return n;
  }

  /** GOAWAY on every connection; completes when all have drained and closed. */
  public Future<Void> close() {
    closed = true;
    Promise<Void> all = GlobalEventExecutor.INSTANCE.newPromise();
    List<PeerConnection> toClose = new ArrayList<>();
    for (Slot slot : slots.values()) {
      toClose.addAll(slot.shutDown());
    }
    GlobalEventExecutor.INSTANCE.execute(() -> {
      PromiseCombiner combiner = new PromiseCombiner(GlobalEventExecutor.INSTANCE);
      for (PeerConnection c : toClose) {
        combiner.add((Future<?>) c.closeGracefully());
      }
      combiner.finish(all);
    });
    return all;
  }

  /** What a slot reserved on a connection is for: a CONNECT stream or a request stream. */
  private interface Opening {
    void on(PeerConnection reserved);

    void fail(Throwable e);
  }

  /** One peer endpoint's connections. */
  private final class Slot {
    private final Endpoint endpoint;
    private final List<PeerConnection> live = new ArrayList<>();
    private final ArrayDeque<Opening> waiters = new ArrayDeque<>();
    private boolean connecting;
    private boolean shutDown;

    Slot(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void open(EventLoop near, Opening promise) {
      PeerConnection chosen;
      boolean dial = false;
      boolean dialNear = false;
      boolean waiting = false;
      synchronized (this) {
        if (shutDown) {
          promise.fail(unavailable(PeerUnavailableException.Reason.SHUTDOWN, null));
          return;
        }
        boolean spread = spreadNow();
        chosen = spread ? null : reserveNear(near);
        if (chosen == null && !spread) {
          chosen = reserveLeastLoaded();
          if (chosen != null && near != null && !connecting && usable() < settings.connectionsPerPeer()
              && !hasUsableOn(near)) {
            // This stream goes elsewhere at once; later ones from this loop will find one here.
            connecting = true;
            dialNear = true;
          }
        }
        if (chosen == null) {
          if (!connecting && usable() < settings.connectionsPerPeer()) {
            connecting = true;
            dial = true;
          }
          if (connecting) {
            waiters.add(promise);
            waiting = true;
          }
        }
      }
      if (chosen != null) {
        promise.on(chosen);
        if (dialNear) {
          dial(near);
        }
      } else if (dial) {
        dial(near);
      } else if (!waiting) {
        promise.fail(unavailable(PeerUnavailableException.Reason.SATURATED, null));
      }
    }

    /** Under the lock: the least loaded usable connection on {@code loop} that takes one more, reserved; null if none. */
    private PeerConnection reserveNear(EventLoop loop) {
      if (loop == null) {
        return null;
      }
      PeerConnection best = null;
      for (PeerConnection c : live) {
        if (c.channel().eventLoop() == loop && !c.isDraining() && (best == null || c.streams() < best.streams())) {
          best = c;
        }
      }
      return best != null && best.tryReserve() ? best : null;
    }

    private boolean hasUsableOn(EventLoop loop) {
      for (PeerConnection c : live) {
        if (c.channel().eventLoop() == loop && !c.isDraining()) {
          return true;
        }
      }
      return false;
    }

    /** Under the lock: whether to dial a further connection for the next stream although a live one has room. */
    private boolean spreadNow() {
      if (spreadAt <= 0 || connecting || live.isEmpty() || usable() >= settings.connectionsPerPeer()) {
        return false;
      }
      for (PeerConnection c : live) {
        if (!c.isDraining() && c.streams() < spreadAt) {
          return false;
        }
      }
      return true;
    }

    /** Under the lock: the usable connection with the fewest streams that takes one more, reserved. */
    private PeerConnection reserveLeastLoaded() {
      List<PeerConnection> byLoad = new ArrayList<>(live);
      byLoad.sort(Comparator.comparingInt(PeerConnection::streams));
      for (PeerConnection c : byLoad) {
        if (c.tryReserve()) {
          return c;
        }
      }
      return null;
    }

    private int usable() {
      int n = 0;
      for (PeerConnection c : live) {
        if (!c.isDraining()) {
          n++;
        }
      }
      return n;
    }

    /** @param near the event loop to dial on, or null for the transport's next one */
    private void dial(EventLoop near) {
      InetSocketAddress address = new InetSocketAddress(endpoint.host(), endpoint.port());
      connector.connect(address, endpoint.nodeId(), near).addListener((Future<PeerConnection> f) -> {
        List<Opening> ready = new ArrayList<>();
        List<PeerConnection> reservedFor = new ArrayList<>();
        List<Opening> failed = new ArrayList<>();
        Throwable failure = f.cause();
        PeerConnection toClose = null;
        boolean again = false;
        synchronized (this) {
          connecting = false;
          if (f.isSuccess()) {
            PeerConnection c = f.getNow();
            if (shutDown) {
              toClose = c;
              failure = unavailable(PeerUnavailableException.Reason.SHUTDOWN, null);
            } else {
              adopt(c);
            }
          }
          if (failure != null) {
            // A further connection (spread) that failed: the ones already open still take streams.
            for (Opening w; (w = waiters.poll()) != null; ) {
              PeerConnection c = reserveLeastLoaded();
              if (c == null) {
                failed.add(w);
              } else {
                ready.add(w);
                reservedFor.add(c);
              }
            }
          } else {
            for (Opening w; (w = waiters.peek()) != null; ) {
              PeerConnection c = reserveLeastLoaded();
              if (c == null) {
                break;
              }
              waiters.poll();
              ready.add(w);
              reservedFor.add(c);
            }
            if (!waiters.isEmpty() && usable() < settings.connectionsPerPeer()) {
              connecting = true; // more waiters than one connection takes: dial the next one
              again = true;
            } else {
              failed.addAll(waiters);
              waiters.clear();
              failure = unavailable(PeerUnavailableException.Reason.SATURATED, null);
            }
          }
        }
        for (int i = 0; i < ready.size(); i++) {
          ready.get(i).on(reservedFor.get(i));
        }
        for (Opening w : failed) {
          w.fail(failure instanceof PeerUnavailableException ? failure
              : unavailable(PeerUnavailableException.Reason.CONNECT_FAILED, failure));
        }
        if (toClose != null) {
          toClose.closeGracefully();
        }
        if (again) {
          dial(null);
        }
      });
    }

    /** Under the lock: a new connection joins the pool, leaves it when it closes or idles out. */
    private void adopt(PeerConnection c) {
      live.add(c);
      metrics.poolConnectionAdded();
      c.channel().closeFuture().addListener(x -> {
        boolean removed;
        synchronized (this) {
          removed = live.remove(c);
        }
        if (removed) {
          metrics.poolConnectionRemoved();
        }
      });
      long idleNanos = settings.idleTimeout().toNanos();
      long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), idleNanos / 2);
      var sweep = c.channel().eventLoop().scheduleAtFixedRate(() -> closeIfIdle(c, idleNanos), period, period,
          TimeUnit.NANOSECONDS);
      c.channel().closeFuture().addListener(x -> sweep.cancel(false));
    }

    private void closeIfIdle(PeerConnection c, long idleNanos) {
      boolean idle;
      synchronized (this) {
        // Under the lock, so no open can reserve a stream on it between the check and the removal.
        idle = c.streams() == 0 && System.nanoTime() - c.idleSinceNanos() >= idleNanos && live.remove(c);
      }
      if (idle) {
        metrics.poolConnectionRemoved();
        c.closeGracefully();
      }
    }

    synchronized List<PeerConnection> shutDown() {
      shutDown = true;
      for (Opening w : waiters) {
        w.fail(unavailable(PeerUnavailableException.Reason.SHUTDOWN, null));
      }
      waiters.clear();
      return List.copyOf(live);
    }

    private PeerUnavailableException unavailable(PeerUnavailableException.Reason reason, Throwable cause) {
      return new PeerUnavailableException(reason, endpoint.toString(), cause);
    }
  }
}
