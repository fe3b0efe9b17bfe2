package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.sscmic.gateway.vertx.VertxInternals;

/**
 * The application-facing end, for the integration into the outbound listener: an accepted
 * application connection becomes one stream to a service on a peer, relayed until both sides
 * close. The stream's HEADERS go out at once and the application's first bytes right behind
 * them, without waiting for the peer's answer; a refused or failed open closes the application
 * connection with an RST (the application sees a reset, as when a TCP service refuses).
 */
public final class AppStreams {
  private AppStreams() {
  }

  /**
   * Relays {@code app} (a Netty channel, e.g. from a ServerBootstrap or a Vert.x NetSocket's
   * channel once Vert.x's handler is out of its pipeline) over a new stream from {@code pool}.
   * The future completes when both ends are closed: successfully after a clean end both ways, with
   * {@link PeerUnavailableException}, {@link StreamRefusedException} or {@link StreamResetException}
   * otherwise.
   */
  public static Future<Void> relay(PeerPool pool, Endpoint peer, String service, Channel app) {
    return relay(pool, peer, service, app, null);
  }

  /** @param owner the name of the handler that owns {@code app} (Vert.x's), which the relay goes before; or null */
  private static Future<Void> relay(PeerPool pool, Endpoint peer, String service, Channel app, String owner) {
    Promise<Void> done = ImmediateEventExecutor.INSTANCE.newPromise();
    app.config().setAutoRead(false); // nothing is read until the stream can take it
    pool.open(peer, service, app.eventLoop()).addListener((Future<MuxStream> opened) -> {
      if (!opened.isSuccess()) {
        abort(app);
        done.tryFailure(opened.cause());
        return;
      }
      MuxStream stream = opened.getNow();
      StreamRelay relay = stream.relayTo(app, owner);
      stream.accepted().addListener(a -> {
        if (!a.isSuccess()) {
          done.tryFailure(a.cause()); // the refusal, more telling than the reset that follows
        }
      });
      relay.done().addListener(r -> {
        if (r.isSuccess()) {
          done.trySuccess(null);
        } else {
          done.tryFailure(r.cause());
        }
      });
    });
    return done;
  }

  /**
   * Relays an accepted Vert.x {@link io.vertx.core.net.NetSocket} over a new stream, on the
   * socket's Netty channel: the relay's handler sits before Vert.x's in the pipeline and takes the
   * bytes and the end of input, so the bytes go from the socket to the stream (and back) in Netty
   * buffers on the channel's own event loop, with no copy into Vert.x buffers and no hop through
   * the Vert.x context; Vert.x still sees the connection open, close (its close handlers, its
   * count of connections for a server's shutdown) and its writability. Call it on the socket's
   * context, in the server's connect handler, before the socket has a data handler. Completes, or
   * fails, as {@link #relay(PeerPool, Endpoint, String, Channel)}, on the socket's context.
   */
  public static io.vertx.core.Future<Void> relay(PeerPool pool, Endpoint peer, String service,
      io.vertx.core.net.NetSocket socket) {
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("call on the socket's Vert.x context");
    }
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    Channel ch = VertxInternals.channel(socket);
    // Before TcpHalfClose's FIN marker too, where the listener put one: the relay must see the FIN
    // as the end of input (ChannelInputShutdownEvent), not as the empty buffer the marker makes of it
    // for Vert.x. Behind it, the FIN became an empty DATA frame, no END_STREAM went out, and every
    // connection the application closed stayed half-open (CLOSE_WAIT) on the node.
    String first = ch.pipeline().get(TcpHalfClose.EOF_MARKER) != null ? TcpHalfClose.EOF_MARKER
        : VertxInternals.VERTX_HANDLER;
    relay(pool, peer, service, ch, first)
        .addListener(f -> context.runOnContext(v -> {
          if (f.isSuccess()) {
            done.tryComplete();
          } else {
            done.tryFail(f.cause());
          }
        }));
    return done.future();
  }

  private static void abort(Channel app) {
    if (app.isOpen()) {
      app.config().setOption(ChannelOption.SO_LINGER, 0);
      app.close();
    }
  }
}
