package io.sscmic.gateway.vertx;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every use of a Vert.x class outside its public API goes through here, so that a Vert.x upgrade
 * that moves one breaks this file alone. We need them for three reasons: to read and write Netty
 * buffers without the heap copies the public {@link Buffer} API makes (the frame path), to
 * half-close and linger-close a socket (no public API), to put a guard handler into an HTTP
 * connection's pipeline (listener limits), to set IP_TRANSPARENT on a listening socket
 * (transparent interception), to run the tunnel v2 multiplexer's own Netty channels on Vert.x's
 * event loops and transport (epoll where Vert.x uses it), and to put a listener's servers on
 * several event loops without deploying a verticle per loop (the data plane's
 * {@code tunnel.event-loops}).
 */
public final class VertxInternals {
  private VertxInternals() {
  }

  /** The Netty buffer behind a Vert.x buffer (no copy; the caller must not release it). */
  public static ByteBuf byteBuf(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf();
  }

  /**
   * A Vert.x buffer over a Netty buffer, without a copy. Only for unpooled heap buffers (as the
   * frame path wraps its own arrays): Vert.x does not release the buffer behind a {@code Buffer}
   * it writes, so a pooled one passed here would leak.
   */
  /**
   * A Vert.x buffer holding a copy of {@code bytes}' readable bytes (not consumed, not released):
   * one copy into the unpooled heap memory Vert.x expects of a buffer it writes (it never releases
   * what it writes), as {@code Buffer.buffer(ByteBufUtil.getBytes(bytes))} would make with two.
   */
  public static Buffer copyOf(ByteBuf bytes) {
    int n = bytes.readableBytes();
    ByteBuf copy = io.vertx.core.impl.buffer.VertxByteBufAllocator.DEFAULT.heapBuffer(n, n);
    copy.writeBytes(bytes, bytes.readerIndex(), n);
    return BufferInternal.buffer(copy);
  }

  public static Buffer buffer(ByteBuf bytes) {
    return BufferInternal.buffer(bytes);
  }

  public static ChannelHandlerContext channelHandlerContext(NetSocket socket) {
    return ((NetSocketInternal) socket).channelHandlerContext();
  }

  /**
   * The Netty event loop a Vert.x context runs on (null for a worker context, or no context): to
   * check that a socket handed to it runs on the same one, or to keep work on its loop.
   */
  public static io.netty.channel.EventLoop eventLoop(io.vertx.core.Context context) {
    return context instanceof io.vertx.core.internal.ContextInternal c && context.isEventLoopContext() ? c.nettyEventLoop() : null;
  }

  /** The name of Vert.x's own handler (VertxHandler) in the pipeline of a connection it owns, last in it. */
  public static final String VERTX_HANDLER = "handler";

  public static Channel channel(NetSocket socket) {
    return channelHandlerContext(socket).channel();
  }

  public static Channel channel(HttpConnection connection) {
    return ((ConnectionBase) connection).channel();
  }



  /**
   * The listening channel of a bound NetServer (the shared server behind it), to set a socket
   * option Vert.x's options do not offer (IP_TRANSPARENT for the interception listener). Read
   * from NetServerImpl's private fields: a Vert.x upgrade that renames them fails here, loudly.
   */
  public static Channel listeningChannel(NetServer server) {
    try {
      java.lang.reflect.Field actual = NetServerImpl.class.getDeclaredField("actualServer");
      actual.setAccessible(true);
      Object main = actual.get(server);
      java.lang.reflect.Field bind = NetServerImpl.class.getDeclaredField("bindFuture");
      bind.setAccessible(true);
      @SuppressWarnings("unchecked")
      io.vertx.core.Future<Channel> f = (io.vertx.core.Future<Channel>) bind.get(main == null ? server : main);
      if (f == null || !f.succeeded()) {
        throw new IllegalStateException("the server is not bound");
      }
      return f.result();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot reach the listening channel of this Vert.x version's NetServer: " + e, e);
    }
  }

  /**
   * What a listening Vert.x 5 HTTP server does with each socket its TCP server accepts: it turns
   * the socket's channel into an HTTP/1.x or h2c connection of that server (decoders into the
   * pipeline, Vert.x's socket handler replaced by the HTTP connection's) and serves its requests
   * with the server's handlers. Handed a socket accepted elsewhere, it does the same to it: the
   * interception listener gives it captured HTTP connections. Read from HttpServerImpl's private
   * {@code tcpServer} field: a Vert.x upgrade that renames it fails here, loudly. The socket must
   * be a plain (non-TLS) server socket on the event loop of the context the HTTP server listened
   * from, and no byte of it may have been read by a Vert.x handler yet.
   */
  @SuppressWarnings("unchecked")
  public static io.vertx.core.Handler<NetSocket> httpConnectHandler(io.vertx.core.http.HttpServer server) {
    try {
      java.lang.reflect.Field tcp = io.vertx.core.http.impl.HttpServerImpl.class.getDeclaredField("tcpServer");
      tcp.setAccessible(true);
      Object net = tcp.get(server);
      if (!(net instanceof NetServerImpl s) || s.connectHandler() == null) {
        throw new IllegalStateException("the HTTP server is not listening");
      }
      return s.connectHandler();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot reach the connect handler of this Vert.x version's HttpServer: " + e, e);
    }
  }

  /**

   * Runs {@code action} now, on the calling thread, as Vert.x runs a handler of {@code context}
   * ({@link Vertx#currentContext()} is {@code context} meanwhile): for code reached from a Netty
   * handler of a Vert.x socket, where no context is current. Call on the context's event loop.
   */
  public static void dispatch(io.vertx.core.Context context, Runnable action) {
    ((io.vertx.core.internal.ContextInternal) context).dispatch(action);
  }

  /**
   * A new event-loop context that belongs to no deployment (its resources close with Vert.x, not
   * with a verticle's undeploy): a node's data planes bind their listeners on one such context, so
   * that a reload's new listeners accept on the event loop of the ones they replace.
   */
  public static io.vertx.core.Context eventLoopContext(Vertx vertx) {
    return ((VertxInternal) vertx).createEventLoopContext();
  }

  /** Vert.x's event loops, where the verticles run: the v2 peer connections share them. */
  public static EventLoopGroup eventLoops(Vertx vertx) {
    return ((VertxInternal) vertx).nettyEventLoopGroup();
  }

  /** Client socket channels of Vert.x's transport (epoll or NIO, as Vert.x chose). */
  public static ChannelFactory<? extends Channel> socketChannels(Vertx vertx) {
    return ((VertxInternal) vertx).transport().channelFactory(false);
  }

  /** Server socket channels of Vert.x's transport. */
  public static ChannelFactory<? extends ServerChannel> serverChannels(Vertx vertx) {
    return ((VertxInternal) vertx).transport().serverChannelFactory(false);
  }

  /**
   * Takes an accepted socket away from Vert.x: its handler leaves the pipeline (Vert.x forgets
   * the connection, as it does at a protocol switch), so the caller's Netty handlers own the
   * channel from now on. Call on the socket's event loop.
   */
  public static Channel detach(NetSocket socket) {
    ChannelHandlerContext ctx = channelHandlerContext(socket);
    Channel channel = ctx.channel();
    channel.pipeline().remove(ctx.handler());
    return channel;
  }

  /**
   * Up to {@code n} event-loop contexts on distinct event loops: the caller's own context first
   * (when it is an event-loop context), then new ones on the loops that follow it in the Vert.x
   * event-loop pool's fixed order (the same loops at every call from the same loop). Fewer than {@code n} when the pool has
   * fewer loops. The new contexts belong to no deployment: whoever uses them closes what it opens
   * on them.
   */
  public static List<Context> eventLoopContexts(Vertx vertx, int n) {
    VertxInternal vx = (VertxInternal) vertx;
    List<Context> contexts = new ArrayList<>(n);
    Set<EventLoop> loops = new HashSet<>();
    ContextInternal current = vx.getContext();
    if (current != null && current.isEventLoopContext()) {
      contexts.add(current);
      loops.add(current.nettyEventLoop());
    }
    // The pool's loops in its own fixed order, from the one after the caller's: the same caller gets
    // the same loops every time. A reload depends on it: when the old listeners of a port close,
    // Vert.x drops their loops from the port's accept rotation, and a connection it had already
    // handed to such a loop is reset; listeners that replace others on the same loops leave no gap.
    List<EventLoop> pool = new ArrayList<>();
    for (var executor : vx.nettyEventLoopGroup()) {
      pool.add((EventLoop) executor);
    }
    int start = current == null ? 0 : pool.indexOf(current.nettyEventLoop()) + 1;
    for (int k = 0; contexts.size() < n && k < pool.size(); k++) {
      EventLoop loop = pool.get(Math.floorMod(start + k, pool.size()));
      if (loops.add(loop)) {
        contexts.add(vx.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).withEventLoop(loop).build());
      }
    }
    return contexts;
  }

  /**
   * Runs {@code action} when {@code owner} closes (its deployment undeployed after its stop, or its
   * start failed), unless the returned handle was run first; nothing when {@code owner} is null or
   * belongs to no deployment.
   *
   * @return removes the hook (call it when what it closes has closed otherwise)
   */
  public static Runnable onClose(Context owner, java.util.function.Supplier<io.vertx.core.Future<?>> action) {
    if (owner instanceof ContextInternal ctx && ctx.isDeployment()) {
      io.vertx.core.Closeable hook = completion -> action.get().onComplete(ar -> completion.succeed());
      ctx.addCloseHook(hook);
      return () -> ctx.removeCloseHook(hook);
    }
    return () -> { };
  }

  private static final java.util.concurrent.atomic.AtomicInteger SHARED_RANDOM_PORTS =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * The port that {@code servers} servers of one listener pass to {@code listen(port, host)} so as
   * to share one port: the address's own, except that port 0 becomes a negative port of its own,
   * which Vert.x binds as one random port shared by every server given the same negative value
   * (port 0 would give each server a port of its own). Public API, but only through
   * {@code listen(int, String)}: a {@code SocketAddress} refuses negative ports.
   */
  public static int sharedPort(io.vertx.core.net.SocketAddress address, int servers) {
    if (servers > 1 && address.port() == 0) {
      return -1 - (SHARED_RANDOM_PORTS.getAndIncrement() & 0x3fff_ffff);
    }
    return address.port();
  }
}
