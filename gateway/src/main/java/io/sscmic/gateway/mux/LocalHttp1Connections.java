package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The receiving node's idle keep-alive connections to its HTTP/1.1 services, per event loop and
 * service address: a request stream whose exchange ended cleanly (the whole request written, the
 * whole answer read, neither side said {@code Connection: close}) leaves its connection here, and
 * the next request stream on that loop to that service takes it instead of dialling. Before, every
 * request cost a TCP connect and a close to the service (the v2 HTTP pair ran at a quarter of the
 * v1 loopback path's rate, its receiving node mostly in connect(2) and close(2)).
 *
 * <p>An idle connection is closed after {@link #IDLE_MILLIS}, below the shortest keep-alive
 * timeouts in common use (Node.js's 5 s), so that a request is rarely written into a connection
 * the service is closing at that moment; at most {@link #MAX_IDLE} wait per loop and address.
 * Everything here runs on the loop that owns the connection.
 */
final class LocalHttp1Connections {
  static final long IDLE_MILLIS = 4_000;
  static final int MAX_IDLE = 64;
  /** The handler name that marks a connection as idle in the pool (it drops what an idle connection reads). */
  static final String IDLE = "sscmic-idle";

  private record Key(EventLoop loop, SocketAddress address) {
  }

  private final Map<Key, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An open idle connection of {@code loop} to {@code address}, out of the pool; null if none. Call on {@code loop}. */
  Channel take(EventLoop loop, SocketAddress address) {
    ArrayDeque<Channel> q = idle.get(new Key(loop, address));
    if (q == null) {
      return null;
    }
    for (Channel c; (c = q.pollLast()) != null; ) {
      Idle marker = (Idle) c.pipeline().get(IDLE);
      if (marker != null) {
        c.pipeline().remove(IDLE);
        marker.timer.cancel(false);
      }
      if (c.isActive() && marker != null) {
        return c;
      }
      c.close();
    }
    return null;
  }

  /**
   * Keeps {@code c} (its exchange ended cleanly; its handler for that exchange already removed)
   * for the next request stream of its loop; closes it when the pool is full. Call on its loop.
   */
  void release(SocketAddress address, Channel c) {
    if (closed) {
      c.close();
      return;
    }
    if (!c.isActive()) {
      return;
    }
    Key key = new Key(c.eventLoop(), address);
    ArrayDeque<Channel> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
    if (q.size() >= MAX_IDLE) {
      c.close();
      return;
    }
    Idle marker = new Idle(q);
    marker.timer = c.eventLoop().schedule(() -> {
      q.remove(c);
      c.close();
    }, IDLE_MILLIS, TimeUnit.MILLISECONDS);
    c.pipeline().addLast(IDLE, marker);
    // Read while idle, so that the service's close (or a stray byte) is seen and the connection dropped.
    c.config().setAutoRead(true);
    q.addLast(c);
  }

  /**
   * Closes every idle connection, each on its own loop (a queue belongs to its loop), and keeps no
   * more from now on: the node's v2 side stops.
   */
  void close() {
    closed = true;
    idle.forEach((key, q) -> key.loop().execute(() -> {
      for (Channel c; (c = q.poll()) != null; ) {
        c.close();
      }
    }));
  }

  /** An idle connection's handler: nothing is expected from the service; it leaves the pool when it closes. */
  private static final class Idle extends ChannelInboundHandlerAdapter {
    private final ArrayDeque<Channel> queue;
    ScheduledFuture<?> timer;

    Idle(ArrayDeque<Channel> queue) {
      this.queue = queue;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      // A service that speaks while idle (a stray byte, a late 408) breaks the framing: not reused.
      ReferenceCountUtil.release(msg);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      timer.cancel(false);
      queue.remove(ctx.channel());
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
