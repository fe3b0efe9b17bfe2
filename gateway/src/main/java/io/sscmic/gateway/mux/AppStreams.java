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
    Promise<Void> done = ImmediateEventExecutor.INSTANCE.newPromise();
    app.config().setAutoRead(false); // nothing is read until the stream can take it
    pool.open(peer, service, app.eventLoop()).addListener((Future<MuxStream> opened) -> {
      if (!opened.isSuccess()) {
        abort(app);
        done.tryFailure(opened.cause());
        return;
      }
      MuxStream stream = opened.getNow();
      StreamRelay relay = stream.relayTo(app);
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
   * socket's Netty channel: the bytes go from the socket to the stream and back in Netty buffers on
   * the channel's event loop, with no copy into Vert.x buffers and no hop through the Vert.x
   * context. Vert.x still sees the connection's activity, writability and close (its close
   * handlers, its count of connections for a server's shutdown). An {@link EarlyBytes} handler,
   * installed here at once ahead of Vert.x's, holds what the application sends before the stream
   * is open, so none of it reaches the Vert.x socket. Call it on the socket's context, in the
   * server's connect handler, before the socket has a data handler. Completes, or fails, as
   * {@link #relay(PeerPool, Endpoint, String, Channel)}, on the socket's context.
   */
  public static io.vertx.core.Future<Void> relay(PeerPool pool, Endpoint peer, String service,
      io.vertx.core.net.NetSocket socket) {
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    Channel ch = VertxInternals.channel(socket);
    if (context == null || !ch.eventLoop().inEventLoop()) {
      // Not on the channel's loop: bytes could be read before the holder is in place. The Vert.x
      // API path is slower but has no such window.
      return NetSocketStream.relay(pool, peer, service, socket, pool.metrics());
    }
    // Before TcpHalfClose's FIN marker too, where the listener put one: the relay must see the FIN
    // as the end of input (ChannelInputShutdownEvent), not as the empty buffer the marker makes of
    // it for Vert.x; behind it, no END_STREAM went out and every connection closed right after its
    // answer stayed half-open (CLOSE_WAIT) on the node.
    String first = ch.pipeline().get(TcpHalfClose.EOF_MARKER) != null ? TcpHalfClose.EOF_MARKER
        : VertxInternals.VERTX_HANDLER;
    EarlyBytes early = new EarlyBytes();
    ch.pipeline().addBefore(first, EarlyBytes.NAME, early);
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    pool.open(peer, service, ch.eventLoop()).addListener((Future<MuxStream> opened) -> {
      if (ch.eventLoop().inEventLoop()) {
        attach(opened, ch, early, pool.metrics(), context, done);
      } else {
        ch.eventLoop().execute(() -> attach(opened, ch, early, pool.metrics(), context, done));
      }
    });
    return done.future();
  }

  /** On the application channel's event loop, once the stream is open (or failed to). */
  private static void attach(Future<MuxStream> opened, Channel app, EarlyBytes early, MuxMetrics metrics,
                             io.vertx.core.Context context, io.vertx.core.Promise<Void> done) {
    if (!opened.isSuccess()) {
      abort(app); // the held bytes are freed as the pipeline comes down
      context.runOnContext(v -> done.tryFail(opened.cause()));
      return;
    }
    MuxStream stream = opened.getNow();
    stream.accepted().addListener(a -> {
      if (!a.isSuccess()) {
        context.runOnContext(v -> done.tryFail(a.cause())); // the refusal, more telling than the reset after it
      }
    });
    StreamRelay.takeOver(stream.channel(), app, early, metrics).done().addListener(r ->
        context.runOnContext(v -> {
          if (r.isSuccess()) {
            done.tryComplete();
          } else {
            done.tryFail(r.cause());
          }
        }));
  }

  private static void abort(Channel app) {
    if (app.isOpen()) {
      app.config().setOption(ChannelOption.SO_LINGER, 0);
      app.close();
    }
  }
}
