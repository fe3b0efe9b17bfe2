package io.sscmic.gateway.http;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import io.sscmic.gateway.vertx.VertxInternals;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetSocket;
import java.util.Set;

/**
 * The HTTP listener's door for connections that transparent interception captured and found to
 * speak HTTP: such a connection becomes an HTTP connection of this node's HTTP mode (per-request
 * balancing, retries, HTTP metrics), its requests routed to the service its original destination
 * maps to, not by their Host (which names an address, e.g. {@code 10.1.0.5:8080}).
 *
 * <p>The seam: in Vert.x 5 an HTTP server is a TCP server whose connect handler turns each
 * accepted socket's channel into an HTTP connection; that handler
 * ({@link VertxInternals#httpConnectHandler}) is given the captured socket itself, so the bytes
 * the sniffer held reach the HTTP decoder directly. A loopback hand-off to the HTTP port would
 * have cost a hop and a copy of every byte, hidden the client's address from the forwarded
 * headers, and needed a side table to tell the listener each connection's service; here the
 * service rides on the channel ({@link #SERVICE}).
 */
public final class CapturedHttp {
  /** The service of a captured connection, on its channel. */
  static final AttributeKey<String> SERVICE = AttributeKey.valueOf("sscmic.captured-service");

  private final Set<String> services;
  private final boolean h2c;
  private final EventLoop loop;
  private final Handler<NetSocket> server;

  /**
   * @param services the services HTTP mode has peers for
   * @param h2c whether the listener takes HTTP/2 with prior knowledge
   * @param loop the event loop the HTTP server listened from: sockets handed over must run on it
   * @param server the HTTP server's connect handler
   */
  CapturedHttp(Set<String> services, boolean h2c, EventLoop loop, Handler<NetSocket> server) {
    this.services = Set.copyOf(services);
    this.h2c = h2c;
    this.loop = loop;
    this.server = server;
  }

  /**
   * Whether HTTP mode can serve a captured connection to {@code service}: it has the service, and
   * for the HTTP/2 preface ({@code h2}) its listener takes h2c. When not, the caller carries the
   * connection as opaque TCP.
   */
  public boolean takes(String service, boolean h2) {
    return services.contains(service) && (!h2 || h2c);
  }

  /**
   * Makes {@code socket} an HTTP connection of this listener whose requests go to {@code service}.
   * Call on the socket's event loop before any of its bytes reach a Vert.x handler (they are
   * decoded as HTTP from the first one on).
   *
   * @return false, leaving the socket untouched, when it runs on another event loop than the
   *     listener's (the caller then carries it as TCP)
   */
  public boolean accept(NetSocket socket, String service) {
    Channel ch = VertxInternals.channel(socket);
    if (ch.eventLoop() != loop) {
      return false;
    }
    ch.attr(SERVICE).set(service);
    server.handle(socket);
    return true;
  }

  /** The service of the captured connection {@code req} arrived on, or null for any other request. */
  static String service(HttpServerRequest req) {
    return VertxInternals.channel(req.connection()).attr(SERVICE).get();
  }
}
