package io.sscmic.gateway.process;

import io.sscmic.gateway.config.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.tracing.TracingPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The receiving sidecar's part of a trace. Its tunnel listener relays bytes to the local service
 * without reading HTTP, so for a service listed in {@code tracing.http-services} it relays them to
 * this hop instead: a loopback HTTP server (Vert.x's tracer gives each request a server span, the
 * child of the calling sidecar's client span) that sends the request on to the service with an
 * HTTP client (a client span, and the {@code traceparent} the service gets). Only with a tracer:
 * a node without tracing relays straight to the service, as always.
 */
public final class TracedServiceHop {
  private static final Logger LOG = Logger.getLogger(TracedServiceHop.class.getName());
  /** Headers of one connection (RFC 9110 7.6.1), and the trace context the tracer writes itself. */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
      "trailer", "transfer-encoding", "upgrade", "traceparent", "tracestate");

  private final HttpClient client;
  private final SocketAddress service;

  private TracedServiceHop(Vertx vertx, SocketAddress service) {
    this.service = service;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setTracingPolicy(TracingPolicy.PROPAGATE), new PoolOptions().setHttp1MaxSize(64));
  }

  /**
   * The address the tunnel listener hands each service's streams to: a hop's for the services of
   * {@code tracing.http-services} when this Vert.x traces, the service's own otherwise. The hops
   * belong to the calling verticle (closed when it is undeployed, as at a reload).
   */
  public static Future<Map<String, SocketAddress>> services(Vertx vertx, NodeConfig config) {
    Map<String, SocketAddress> services = new LinkedHashMap<>(config.services());
    if (config.tracing() == null || config.tracing().httpServices().isEmpty()
        || ((VertxInternal) vertx).tracer() == null) {
      return Future.succeededFuture(services);
    }
    List<Future<?>> started = new ArrayList<>();
    for (String name : config.tracing().httpServices()) {
      SocketAddress target = services.get(name);
      if (target == null) {
        continue;
      }
      TracedServiceHop hop = new TracedServiceHop(vertx, target);
      started.add(vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)
              .setHttp2ClearTextEnabled(false).setTracingPolicy(TracingPolicy.ALWAYS))
          .requestHandler(hop::forward)
          .listen(0, "127.0.0.1")
          .onSuccess(s -> {
            services.put(name, SocketAddress.inetSocketAddress(s.actualPort(), "127.0.0.1"));
            LOG.fine(() -> config.nodeId() + ": service '" + name + "' traced through 127.0.0.1:" + s.actualPort());
          }));
    }
    return Future.all(started).map(v -> services);
  }

  private void forward(HttpServerRequest req) {
    req.pause();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    req.headers().forEach((k, v) -> {
      if (!NOT_FORWARDED.contains(k.toLowerCase(java.util.Locale.ROOT))) {
        headers.add(k, v);
      }
    });
    boolean body = req.getHeader(HttpHeaders.CONTENT_LENGTH) != null || req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    client.request(new RequestOptions().setServer(service).setHost(service.host()).setPort(service.port())
            .setMethod(req.method()).setURI(req.uri()).setHeaders(headers))
        .compose(up -> {
          up.exceptionHandler(e -> { });
          if (body && req.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            up.setChunked(true);
          }
          return up.send(req);
        })
        .onSuccess(up -> {
          HttpServerResponse out = req.response().setStatusCode(up.statusCode()).setStatusMessage(up.statusMessage());
          up.headers().forEach((k, v) -> {
            if (!NOT_FORWARDED.contains(k.toLowerCase(java.util.Locale.ROOT))) {
              out.headers().add(k, v);
            }
          });
          if (up.getHeader(HttpHeaders.CONTENT_LENGTH) == null && req.method() != HttpMethod.HEAD
              && up.statusCode() != 204 && up.statusCode() != 304) {
            out.setChunked(true);
          }
          up.pipeTo(out);
        })
        .onFailure(e -> {
          // What the calling sidecar reports as the service failing (its 502), without our port.
          if (!req.response().headWritten()) {
            req.response().setStatusCode(502).putHeader("x-sscmic-sidecar", "service hop").end("the local service "
                + "did not answer\n");
          } else {
            req.response().reset();
          }
        });
  }
}
