package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.sscmic.gateway.resolve.Endpoint;

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
   * Relays an accepted Vert.x {@link io.vertx.core.net.NetSocket} over a new stream, through the
   * socket's public API (Vert.x keeps its accounting of the connection; half-close works as with
   * {@link io.sscmic.gateway.tunnel.TcpHalfClose}). Call it on the socket's context, in the
   * server's connect handler. Completes, or fails, as {@link #relay(PeerPool, Endpoint, String, Channel)}.
   */
  public static io.vertx.core.Future<Void> relay(PeerPool pool, Endpoint peer, String service,
      io.vertx.core.net.NetSocket socket) {
    return NetSocketStream.relay(pool, peer, service, socket, pool.metrics());
  }

  private static void abort(Channel app) {
    if (app.isOpen()) {
      app.config().setOption(ChannelOption.SO_LINGER, 0);
      app.close();
    }
  }
}
