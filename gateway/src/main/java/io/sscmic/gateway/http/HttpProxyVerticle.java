package io.sscmic.gateway.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;

import io.vertx.core.VerticleBase;

import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The node's HTTP listener. Each request is matched to a service (route table, or the host of an
 * absolute-form URI or CONNECT for forward-proxy use), sent to a healthy peer sidecar of that
 * service through the encrypted tunnel over a pooled keep-alive connection, and streamed both
 * ways with back-pressure. Errors the sidecar produces itself carry the header
 * {@value #PRODUCED_BY} naming this node and a one-line plain-text body.
 */
public final class HttpProxyVerticle extends VerticleBase {
  static final String PRODUCED_BY = "x-sscmic-sidecar";
  private static final Logger LOG = Logger.getLogger(HttpProxyVerticle.class.getName());
  private static final Logger ACCESS = Logger.getLogger("io.sscmic.gateway.http.access");
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  private final HttpModeConfig config;
  private final TunnelOptions tunnel;
  private final KeySchedule schedule;
  private final TunnelMetrics tunnelMetrics;
  private final SecureRandom random;
  private final HttpMetrics metrics;
  private final String via;
  private final ListenerGuard guard;
  private final Map<String, PeerBalancer> services = new LinkedHashMap<>();
  private HttpServer server;
  private long healthTimer = -1;
  private Future<?> closing;

  public HttpProxyVerticle(HttpModeConfig config, TunnelOptions tunnel, KeySchedule schedule,
                           TunnelMetrics tunnelMetrics, SecureRandom random, MeterRegistry registry) {
    this.config = config;
    this.tunnel = tunnel;
    this.schedule = schedule;
    this.tunnelMetrics = tunnelMetrics;
    this.random = random;
    this.metrics = new HttpMetrics(registry, tunnel.nodeId());
    this.via = "1.1 sscmic-" + tunnel.nodeId();
    this.guard = new ListenerGuard(config.limits(), metrics, tunnel.nodeId());
  }

  @Override
  public Future<?> start() {
    List<Future<?>> entries = new ArrayList<>();
    config.services().forEach((service, peers) -> {
      List<UpstreamPeer> ups = new ArrayList<>();
      for (var peer : peers) {
        UpstreamPeer up = new UpstreamPeer(service, peer, new OutboundListener(vertx, tunnel, schedule, service, peer,
            tunnelMetrics, random));
        ups.add(up);
        entries.add(up.start(vertx, config.maxConnectionsPerPeer(), tunnel.connectTimeout()));
      }
      services.put(service, new PeerBalancer(ups));
      metrics.peerHealth(service, ups);
    });
    ListenerLimits limits = config.limits();
    server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false).setTcpNoDelay(true)
            .setMaxHeaderSize(limits.maxHeaderSize()).setMaxInitialLineLength(limits.maxInitialLineLength()))
        .connectionHandler(guard::accept)
        .invalidRequestHandler(this::invalid)
        .requestHandler(this::handle);
    if (config.healthPath() != null) {
      healthTimer = vertx.setPeriodic(config.healthInterval().toMillis(), t -> probeAll());
    }
    return Future.all(entries).compose(v -> server.listen(config.listen()))
        .onSuccess(s -> LOG.info(() -> tunnel.nodeId() + ": HTTP listener on " + config.listen().host() + ":"
            + s.actualPort() + " for " + config.services().keySet() + " (" + config.routes().size() + " routes)"));
  }

  /**
   * Active health: asks each peer's service for {@code health-path} through the tunnel. Any answer
   * below 500 proves the tunnel, the peer sidecar and the service; a 5xx or no answer takes the
   * peer out of rotation until a probe succeeds.
   */
  private void probeAll() {
    services.values().forEach(b -> b.peers().forEach(peer -> peer.http()
        .request(new RequestOptions().setMethod(HttpMethod.GET).setURI(config.healthPath())
            .setTimeout(config.healthInterval().toMillis()).putHeader("user-agent", "sscmic-health/" + tunnel.nodeId()))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(x -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() < 500) {
            if (!peer.healthy(System.nanoTime())) {
              LOG.info(() -> tunnel.nodeId() + ": peer " + peer + " passes its health probe again");
            }
            peer.probedHealthy();
          } else if (peer.probedUnhealthy(System.nanoTime(), config.healthInterval())) {
            metrics.ejected(peer.service);
            LOG.warning(() -> tunnel.nodeId() + ": peer " + peer + " failed its health probe ("
                + (ar.succeeded() ? "status " + ar.result() : ar.cause().getMessage()) + "); out of rotation");
          }
        })));
  }

  @Override
  public Future<?> stop() {
    return drain();
  }

  /**
   * Stops accepting at once; requests in flight get up to 10 s. Idempotent: a later stop waits
   * for the same drain.
   */
  public synchronized Future<?> drain() {
    if (closing == null) {
      vertx.cancelTimer(healthTimer);
      Duration drain = Duration.ofSeconds(10);
      List<Future<?>> all = new ArrayList<>();
      all.add(server == null ? Future.succeededFuture() : server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS));
      services.values().forEach(b -> b.peers().forEach(p -> all.add(p.close(drain))));
      closing = Future.join(all);
    }
    return closing;
  }

  public int port() {
    return server.actualPort();
  }

  /** Where a request goes: its service, and the path to ask for there. */
  private record Target(String service, String host, String path, Duration timeout) {
  }

  private Target route(HttpServerRequest req) {
    String host;
    String path;
    String uri = req.uri();
    if (uri.startsWith("http://") || uri.startsWith("https://")) {
      // Forward-proxy use: an absolute-form URI names the service as its host.
      URI u = URI.create(uri);
      host = u.getHost();
      path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
          + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    } else {
      host = req.authority() == null ? null : req.authority().host();
      path = uri;
    }
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    for (HttpRoute r : config.routes()) {
      if (r.matches(h, path)) {
        return new Target(r.service(), host, path, r.timeout() == null ? config.timeout() : r.timeout());
      }
    }
    if (services.containsKey(h)) {
      return new Target(h, host, path, config.timeout());
    }
    return null;
  }

  private void handle(HttpServerRequest req) {
    long started = System.nanoTime();
    if (req.method() == HttpMethod.CONNECT) {
      connect(req, started);
      return;
    }
    Target target;
    try {
      target = route(req);
    } catch (IllegalArgumentException e) {
      error(req, 400, "bad_request", "-", "bad request URI: " + e.getMessage(), started);
      return;
    }
    if (target == null) {
      error(req, 404, "no_route", "-", "no route for host '" + (req.authority() == null ? "" : req.authority().host())
          + "' and path '" + req.path() + "' on sidecar " + tunnel.nodeId(), started);
      return;
    }
    PeerBalancer balancer = services.get(target.service());
    if (balancer == null) {
      error(req, 503, "no_peer", target.service(), "service '" + target.service() + "' has no peers configured",
          started);
      return;
    }
    if (req.method() == HttpMethod.GET && req.getHeader("upgrade") != null) {
      upgrade(req, target, balancer, started);
      return;
    }
    boolean body = hasBody(req);
    if (body) {
      // Held until the upstream request exists, then piped with back-pressure.
      req.pause();
    }
    forward(req, target, balancer, null, null, IDEMPOTENT.contains(req.method()) && !body, started);
  }

  /** A request the HTTP decoder refused: a limit (431, 414) or malformed (400); the connection then closes. */
  private void invalid(HttpServerRequest req) {
    if (!guard.invalid(req)) {
      long started = System.nanoTime();
      error(req, 400, "bad_request", "-", "malformed request: " + req.decoderResult().cause().getMessage(), started);
      guard.closeAfterAnswer(req);
    }
  }

  private static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader("content-length");
    return req.getHeader("transfer-encoding") != null || (length != null && !length.trim().equals("0"));
  }

  /**
   * @param failed the peer that failed this request's first attempt, with {@code why}; a retry
   *     goes to another peer, and without one the first failure is the answer
   */
  private void forward(HttpServerRequest req, Target target, PeerBalancer balancer, UpstreamPeer failed, String why,
                       boolean retriable, long started) {
    UpstreamPeer peer = balancer.pick(failed);
    if (peer == null && failed != null) {
      error(req, 502, "upstream", target.service(), why, started);
      return;
    }
    if (peer == null) {
      error(req, 503, "no_peer", target.service(), "no healthy peer for service '" + target.service() + "'", started);
      return;
    }
    peer.begin();
    RequestOptions options = new RequestOptions().setMethod(req.method()).setURI(target.path())
        .setTimeout(target.timeout().toMillis());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    HopByHop.copy(req.headers(), headers);
    if (target.host() != null && !headers.contains("host")) {
      headers.set("host", req.authority() != null ? req.authority().toString() : target.host());
    }
    headers.add("via", via);
    String client = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    String xff = req.getHeader("x-forwarded-for");
    headers.set("x-forwarded-for", xff == null ? client : xff + ", " + client);
    if (!headers.contains("x-forwarded-proto")) {
      headers.set("x-forwarded-proto", "http");
    }
    options.setHeaders(headers);
    peer.http().request(options)
        .compose(up -> {
          if (hasBody(req)) {
            up.setChunked(req.getHeader("content-length") == null);
            if (req.getHeader("content-length") != null) {
              up.putHeader("content-length", req.getHeader("content-length"));
            }
          }
          return hasBody(req) ? up.send(req) : up.send();
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            peer.end();
            if (peer.failed(System.nanoTime())) {
              metrics.ejected(target.service());
              LOG.warning(() -> tunnel.nodeId() + ": ejected peer " + peer + " for a while after repeated failures ("
                  + ar.cause().getMessage() + ")");
            }
            boolean timedOut = ar.cause() instanceof java.util.concurrent.TimeoutException
                || String.valueOf(ar.cause().getMessage()).contains("timeout");
            String failure = "peer sidecar " + peer.peer.host() + ":" + peer.peer.port() + " for service '"
                + target.service() + "' failed: " + ar.cause().getMessage();
            if (!timedOut && retriable && !req.response().headWritten()) {
              metrics.retried(target.service());
              forward(req, target, balancer, peer, failure, false, started);
              return;
            }
            if (timedOut) {
              error(req, 504, "timeout", target.service(), "service '" + target.service() + "' did not answer within "
                  + target.timeout().toMillis() + " ms", started);
            } else {
              error(req, 502, "upstream", target.service(), failure, started);
            }
            return;
          }
          peer.succeeded();
          relay(req, ar.result(), target, peer, started);
        });
  }

  private void relay(HttpServerRequest req, HttpClientResponse up, Target target, UpstreamPeer peer, long started) {
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      // The client went away while the peer was answering: nothing to relay, free the upstream stream.
      peer.end();
      up.exceptionHandler(e -> { });
      up.request().reset();
      metrics.request(target.service(), "client_gone", Duration.ofNanos(System.nanoTime() - started));
      return;
    }
    resp.setStatusCode(up.statusCode()).setStatusMessage(up.statusMessage());
    HopByHop.copy(up.headers(), resp.headers());
    resp.headers().add("via", via);
    if (up.getHeader("content-length") == null && req.method() != HttpMethod.HEAD && up.statusCode() != 204
        && up.statusCode() != 304) {
      resp.setChunked(true);
    }
    responseBody(up, resp).onComplete(ar -> {
      peer.end();
      String outcome = (up.statusCode() / 100) + "xx";
      metrics.request(target.service(), outcome, Duration.ofNanos(System.nanoTime() - started));
      access(req, up.statusCode(), target.service(), peer.toString(), started);
      if (ar.failed()) {
        LOG.fine(() -> tunnel.nodeId() + ": response from " + peer + " cut short: " + ar.cause().getMessage());
        req.connection().close();
      }
    });
  }

  /**
   * Streams the upstream body to the client with back-pressure. Unlike Vert.x's pipe it copes with
   * a client that leaves mid-body: the upstream stream is reset (freeing its pooled tunnel
   * connection) and nothing more is written.
   */
  private static Future<Void> responseBody(HttpClientResponse up, HttpServerResponse resp) {
    Promise<Void> done = Promise.promise();
    resp.closeHandler(v -> {
      if (done.tryFail("the client closed the connection")) {
        up.exceptionHandler(e -> { });
        up.request().reset();
      }
    });
    up.exceptionHandler(e -> {
      if (done.tryFail(e)) {
        resp.reset();
      }
    });
    up.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      resp.write(chunk);
      if (resp.writeQueueFull()) {
        up.pause();
        resp.drainHandler(v -> up.resume());
      }
    });
    up.endHandler(v -> {
      if (!done.future().isComplete()) {
        resp.end().onComplete(done);
      }
    });
    return done.future();
  }

  /**
   * An upgrade (WebSocket): the request goes to the peer over a fresh tunnel stream with its
   * Upgrade and Connection headers; when the service answers 101 the two sockets are joined.
   */
  private void upgrade(HttpServerRequest req, Target target, PeerBalancer balancer, long started) {
    UpstreamPeer peer = balancer.pick(null);
    if (peer == null) {
      error(req, 503, "no_peer", target.service(), "no healthy peer for service '" + target.service() + "'", started);
      return;
    }
    req.pause();
    peer.raw().connect(peer.port(), "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        error(req, 502, "upstream", target.service(), "upgrade to service '" + target.service() + "' failed: "
            + ar.cause().getMessage(), started);
        return;
      }
      NetSocket up = ar.result();
      StringBuilder head = new StringBuilder(req.method().name()).append(' ').append(target.path())
          .append(" HTTP/1.1\r\n");
      req.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      head.append("via: ").append(via).append("\r\n\r\n");
      Buffer received = Buffer.buffer();
      up.handler(b -> {
        received.appendBuffer(b);
        int end = received.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
        if (end < 0) {
          if (received.length() > 64 * 1024) {
            up.close();
            error(req, 502, "upstream", target.service(), "service '" + target.service() + "' sent no response head",
                started);
          }
          return;
        }
        up.pause();
        up.handler(null);
        String[] lines = received.getString(0, end, "ISO-8859-1").split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[1].equals("101")) {
          up.close();
          error(req, 502, "upstream", target.service(), "service '" + target.service() + "' refused the upgrade: "
              + lines[0], started);
          return;
        }
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          if (colon > 0) {
            req.response().headers().add(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
          }
        }
        Buffer rest = received.getBuffer(end + 4, received.length());
        req.toNetSocket().onComplete(local -> {
          if (local.failed()) {
            up.close();
            return;
          }
          metrics.request(target.service(), "1xx", Duration.ofNanos(System.nanoTime() - started));
          access(req, 101, target.service(), peer.toString(), started);
          if (rest.length() > 0) {
            local.result().write(rest);
          }
          local.result().pipeTo(up);
          up.pipeTo(local.result());
        });
      });
      up.write(Buffer.buffer(head.toString(), "ISO-8859-1"));
    });
  }

  /** CONNECT service:port: a raw TCP stream to the service through the tunnel. */
  private void connect(HttpServerRequest req, long started) {
    String host = req.authority() == null ? "" : req.authority().host().toLowerCase(Locale.ROOT);
    PeerBalancer balancer = services.get(host);
    if (balancer == null) {
      error(req, 404, "no_route", host, "CONNECT: no service named '" + host + "' on sidecar " + tunnel.nodeId(),
          started);
      return;
    }
    UpstreamPeer peer = balancer.pick(null);
    if (peer == null) {
      error(req, 503, "no_peer", host, "no healthy peer for service '" + host + "'", started);
      return;
    }
    req.pause();
    peer.raw().connect(peer.port(), "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        error(req, 502, "upstream", host, "CONNECT to service '" + host + "' failed: " + ar.cause().getMessage(), started);
        return;
      }
      req.toNetSocket().onComplete(local -> {
        if (local.failed()) {
          ar.result().close();
          return;
        }
        metrics.request(host, "connect", Duration.ofNanos(System.nanoTime() - started));
        access(req, 200, host, peer.toString(), started);
        local.result().pipeTo(ar.result());
        ar.result().pipeTo(local.result());
      });
    });
  }

  private void error(HttpServerRequest req, int status, String outcome, String service, String message, long started) {
    metrics.request(service, outcome, Duration.ofNanos(System.nanoTime() - started));
    access(req, status, service, "-", started);
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      return;
    }
    if (resp.headWritten()) {
      req.connection().close();
      return;
    }
    LOG.fine(() -> tunnel.nodeId() + ": " + status + " " + message);
    resp.setStatusCode(status).putHeader("content-type", "text/plain; charset=utf-8")
        .putHeader(PRODUCED_BY, tunnel.nodeId()).end(message + "\n");
  }

  private void access(HttpServerRequest req, int status, String service, String peer, long started) {
    if (!config.accessLog()) {
      return;
    }
    // No body, no query string (it may carry secrets), no headers.
    ACCESS.info(() -> tunnel.nodeId() + " " + (req.remoteAddress() == null ? "-" : req.remoteAddress().hostAddress())
        + " " + req.method() + " " + (req.authority() == null ? "-" : req.authority()) + " " + req.path() + " "
        + status + " service=" + service + " peer=" + peer + " ms="
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }
}
