package io.sscmic.gateway.intercept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.sscmic.gateway.http.CapturedHttp;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The transparent listener: a Vert.x server on the native epoll transport whose listening socket
 * has IP_TRANSPARENT, so that the TPROXY rule can hand it connections addressed to other hosts;
 * an accepted socket's local address is the destination the application dialled. Each one is
 * mapped to its service ({@link DestinationMap}), its protocol detected from its first
 * bytes ({@link ProtocolSniffer}; server-first ports skip that), and handed on: HTTP/1.x and the
 * HTTP/2 preface to the node's HTTP mode when it serves the service ({@link CapturedHttp}:
 * per-request balancing and HTTP metrics), anything else to the service's carrier, the outbound
 * path, exactly as an outbound listener carries its connections.
 */
public final class InterceptListener {
  private static final Logger LOG = Logger.getLogger(InterceptListener.class.getName());

  private final Vertx vertx;
  private final InterceptConfig config;
  private final DestinationMap destinations;
  private final Map<String, Consumer<NetSocket>> carriers;
  private final InterceptMetrics metrics;
  private final CapturedHttp http;
  private final String node;
  private final AtomicLong ids = new AtomicLong();
  private NetServer server;

  /**
   * @param destinations original destination to route (the config's static map, or a registry)
   * @param carriers service name to what carries its connections (called on this listener's context)
   */
  public InterceptListener(Vertx vertx, String node, InterceptConfig config, DestinationMap destinations,
                           Map<String, Consumer<NetSocket>> carriers, InterceptMetrics metrics) {
    this(vertx, node, config, destinations, carriers, metrics, null);
  }

  /**
   * @param http the node's HTTP mode, for captured HTTP (its door must be on the context this
   *     listener listens from); null to carry HTTP as TCP too
   */
  public InterceptListener(Vertx vertx, String node, InterceptConfig config, DestinationMap destinations,
                           Map<String, Consumer<NetSocket>> carriers, InterceptMetrics metrics, CapturedHttp http) {
    this.http = http;
    this.vertx = vertx;
    this.node = node;
    this.config = config;
    this.destinations = destinations;
    this.carriers = Map.copyOf(carriers);
    this.metrics = metrics;
  }

  /**
   * Binds and makes the socket transparent; fails (and closes) without the epoll transport or
   * without CAP_NET_ADMIN, naming what is missing. The future holds the bound port.
   */
  public Future<Integer> listen() {
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(this::accept);
    return server.listen(config.listen()).compose(s -> {
      try {
        Channel ch = VertxInternals.listeningChannel(s);
        if (!(ch instanceof EpollServerSocketChannel)) {
          throw new IllegalStateException("transparent interception needs the native epoll transport (Linux, "
              + "netty-transport-native-epoll); this listener runs on " + ch.getClass().getSimpleName());
        }
        ch.config().setOption(EpollChannelOption.IP_TRANSPARENT, true);
        if (!((EpollServerSocketChannel) ch).config().isIpTransparent()) {
          throw new IllegalStateException("IP_TRANSPARENT did not take");
        }
        return Future.succeededFuture(s.actualPort());
      } catch (RuntimeException e) {
        String why = e.getMessage() != null && e.getMessage().contains("Operation not permitted")
            ? "setting IP_TRANSPARENT needs CAP_NET_ADMIN (run the node as root or grant the capability)"
            : e.getMessage();
        return s.close().transform(x -> Future.failedFuture(new IllegalStateException(
            "intercept.listen " + config.listen() + ": " + why, e)));
      }
    });
  }

  public Future<Void> close(Duration drain) {
    return server == null ? Future.succeededFuture() : server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void accept(NetSocket socket) {
    // Paused before any read: the first bytes go to the sniffer, then to the relay, none dropped.
    socket.pause();
    Channel ch = VertxInternals.channel(socket);
    InetSocketAddress dst = (InetSocketAddress) ch.localAddress();
    String id = node + "/capture#" + ids.incrementAndGet() + "(" + dst.getAddress().getHostAddress() + ":"
        + dst.getPort() + ")";
    socket.exceptionHandler(e -> LOG.fine(() -> id + ": " + e));
    Optional<InterceptRoute> route = destinations.route(dst.getAddress(), dst.getPort());
    Consumer<NetSocket> carrier = route.map(r -> carriers.get(r.service())).orElse(null);
    if (carrier == null) {
      metrics.connection(Protocol.TCP, InterceptMetrics.Outcome.UNMAPPED);
      LOG.warning(() -> id + ": captured, but no intercept.outbound entry or registry destination matches it: reset "
          + "(the nftables rules are wider than the config; reinstall them from this config)");
      TcpHalfClose.abort(socket);
      return;
    }
    if (config.serverFirst(dst.getPort())) {
      metrics.detected(InterceptMetrics.How.SERVER_FIRST);
      carry(id, socket, route.get(), carrier, Protocol.TCP);
      return;
    }
    // The sniffer decides in a Netty handler, where no Vert.x context is current: the carrier (an
    // outbound listener, with state per context) runs on this connection's context, as here.
    io.vertx.core.Context context = vertx.getOrCreateContext();
    ch.pipeline().addFirst("sscmic-sniff", new ProtocolSniffer(config.detectTimeout(), (protocol, how) -> {
      metrics.detected(how == ProtocolSniffer.How.TIMEOUT ? InterceptMetrics.How.TIMEOUT
          : InterceptMetrics.How.SNIFFED);
      VertxInternals.dispatch(context, () -> {
        if (!toHttpMode(id, socket, ch, route.get(), protocol)) {
          carry(id, socket, route.get(), carrier, protocol);
        }
      });
    }, () -> metrics.connection(Protocol.TCP, InterceptMetrics.Outcome.CLOSED)));
  }

  /**
   * Hands an HTTP connection to HTTP mode when the node's HTTP listener serves its service; false
   * (the caller carries it as TCP) otherwise, and for a client that already shut its write side:
   * an HTTP server does not keep a half-closed connection open for its answer, a TCP relay does.
   */
  private boolean toHttpMode(String id, NetSocket socket, Channel ch, InterceptRoute route, Protocol protocol) {
    if (http == null || protocol == Protocol.TCP || !http.takes(route.service(), protocol == Protocol.HTTP2)
        || ch instanceof DuplexChannel d && d.isInputShutdown()) {
      return false;
    }
    // The sniffer allowed half-closure to hold a FIN; an HTTP connection closes on its client's FIN.
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
    if (!http.accept(socket, route.service())) {
      ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      LOG.warning(() -> id + ": the HTTP listener's door is on another event loop; carried as TCP");
      return false;
    }
    metrics.connection(protocol, InterceptMetrics.Outcome.HTTP_MODE);
    LOG.fine(() -> id + ": " + protocol.label() + " to service '" + route.service() + "' in HTTP mode");
    return true;
  }

  private void carry(String id, NetSocket socket, InterceptRoute route, Consumer<NetSocket> carrier,
                     Protocol protocol) {
    metrics.connection(protocol, InterceptMetrics.Outcome.CARRIED);
    LOG.fine(() -> id + ": " + protocol.label() + " to service '" + route.service() + "' (carried as TCP)");
    carrier.accept(socket);
  }
}
