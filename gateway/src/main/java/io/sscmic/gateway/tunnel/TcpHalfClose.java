package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.vertx.VertxInternals;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.vertx.core.net.NetSocket;

/**
 * TCP half-close and abortive close for plain-side sockets, which Vert.x's NetSocket does not
 * offer ({@code end()} is {@code close()}). A client that shuts down its write side and then
 * waits for the answer (HTTP/1.0, {@code nc -N}, many RPC clients) must keep working through the
 * sidecar, so the peer's FIN becomes an END frame instead of a closed connection.
 *
 * <p>The end of input is delivered as an empty buffer through the socket's own handler, in order
 * after the data already queued while the socket was paused (Vert.x emits channel events out of
 * band, ahead of paused data, so the event itself cannot be used). TCP never delivers an empty
 * read otherwise.
 */
public final class TcpHalfClose {
  /** How long a connection we end waits for the peer's FIN before it is closed anyway. */
  public static final Duration LINGER = Duration.ofSeconds(1);
  /**
   * Refused connections are not counted against the listeners' connection limits, so a flood of
   * them must not hold descriptors for a second each without bound: past this many lingering at
   * once, the rest close at once (and may lose their last words to a reset).
   */
  static final int MAX_LINGERING = 4096;
  private static final AtomicInteger LINGERING = new AtomicInteger();

  private TcpHalfClose() {
  }

  /**
   * Lets the socket stay writable after its peer's FIN and reports that FIN as an empty buffer.
   * Idempotent (the outbound listener enables it before it knows whether a v1 tunnel or a v2
   * stream carries the connection, and the v2 relay enables it too).
   */
  /** The name of the handler {@link #enable} puts before Vert.x's: it turns the FIN into an empty buffer. */
  public static final String EOF_MARKER = "sscmic-eof-marker";

  public static void enable(NetSocket socket) {
    ChannelHandlerContext ctx = VertxInternals.channelHandlerContext(socket);
    Channel ch = ctx.channel();
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (ch.pipeline().get(EOF_MARKER) != null) {
      return;
    }
    ch.pipeline().addBefore(ctx.name(), EOF_MARKER, new EofMarker());
  }

  /** Sends FIN on the socket's write side; reading continues. */
  public static void shutdownOutput(NetSocket socket) {
    Channel ch = VertxInternals.channel(socket);
    if (ch instanceof DuplexChannel && ch.isActive()) {
      ((DuplexChannel) ch).shutdownOutput();
    }
  }

  /** Closes with RST, so the local application sees a failed stream rather than a clean end. */
  public static void abort(NetSocket socket) {
    Channel ch = VertxInternals.channel(socket);
    if (ch.isOpen()) {
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
    }
    socket.close();
  }

  /** Closes the socket after our last bytes surely reached the peer; see {@link #lingeringClose(Channel, Duration)}. */
  public static void lingeringClose(NetSocket socket, Duration linger) {
    lingeringClose(VertxInternals.channel(socket), linger);
  }

  /**
   * Flushes what was written, sends FIN, discards whatever the peer still sends, and closes on the
   * peer's FIN or after {@code linger}, whichever comes first. Closing outright while the peer is
   * still sending makes our kernel answer its next bytes with RST, and an RST makes the peer's
   * kernel drop what it received but its application has not read yet: our last frame or error
   * answer, the very thing that says why the connection ends.
   */
  public static void lingeringClose(Channel ch, Duration linger) {
    if (!ch.isActive()) {
      ch.close();
      return;
    }
    if (ch.pipeline().get(Linger.class) != null) {
      return;
    }
    if (LINGERING.incrementAndGet() > MAX_LINGERING) {
      LINGERING.decrementAndGet();
      ch.close();
      return;
    }
    ch.closeFuture().addListener(f -> LINGERING.decrementAndGet());
    ch.pipeline().addFirst("sscmic-linger", new Linger());
    // Read on even if back-pressure had paused the socket: unread bytes at close mean a reset.
    ch.config().setAutoRead(true);
    // Written from the head, after every write already queued: its completion means they are out.
    ch.pipeline().firstContext().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
      if (f.isSuccess() && ch instanceof DuplexChannel && ch.isActive()) {
        ((DuplexChannel) ch).shutdownOutput();
      } else {
        ch.close();
      }
    });
    ch.eventLoop().schedule(() -> ch.close(), linger.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Swallows what arrives while lingering and closes at the peer's FIN. */
  private static final class Linger extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        ctx.close();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  private static final class EofMarker extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        ctx.fireChannelRead(Unpooled.EMPTY_BUFFER);
        ctx.fireChannelReadComplete();
        return;
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
