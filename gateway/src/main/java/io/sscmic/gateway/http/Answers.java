package io.sscmic.gateway.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The listener's bookkeeping of each request's end, in one place so that every path (forwarded,
 * upgraded, CONNECT, refused) counts and logs alike: the request counter and latency, the access
 * log line, and the sidecar's own error answers ({@value HttpProxyVerticle#PRODUCED_BY} naming
 * this node, a one-line plain-text body).
 */
final class Answers {
  private static final Logger LOG = Logger.getLogger(HttpProxyVerticle.class.getName());
  private static final Logger ACCESS = Logger.getLogger("io.sscmic.gateway.http.access");

  private final HttpMetrics metrics;
  private final String node;
  private final boolean accessLog;

  Answers(HttpMetrics metrics, String node, boolean accessLog) {
    this.metrics = metrics;
    this.node = node;
    this.accessLog = accessLog;
  }

  HttpMetrics metrics() {
    return metrics;
  }

  /**
   * A request the service answered (or that became a tunnel): counted under {@code outcome}.
   *
   * @param route the route table line that chose the service ({@link HttpRoute#name()}), or {@value HttpRoute#NONE}
   */
  void done(HttpServerRequest req, int status, String outcome, String service, String route, String peer,
            long started) {
    metrics.request(service, route, outcome, Duration.ofNanos(System.nanoTime() - started));
    access(req, status, service, peer, started);
  }

  /**
   * The sidecar answers instead of the service; a response already under way is cut instead (on
   * HTTP/2 its stream only, the connection carries other requests). A gRPC client gets its own
   * terms: 200 with {@code grpc-status} and {@code grpc-message} as a trailers-only response (one
   * HEADERS frame that ends the stream), which grpc libraries report as that status.
   */
  void fail(HttpServerRequest req, ProxyFailure failure, String route, long started) {
    boolean grpc = GrpcStatus.isGrpc(req);
    done(req, grpc ? 200 : failure.status(), failure.outcome(), failure.service(), route, "-", started);
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      return;
    }
    if (resp.headWritten()) {
      cut(req);
      return;
    }
    LOG.fine(() -> node + ": " + failure.status() + " " + failure.getMessage());
    if (grpc) {
      resp.setStatusCode(200).putHeader("content-type", "application/grpc")
          .putHeader("grpc-status", Integer.toString(GrpcStatus.of(failure.kind())))
          .putHeader("grpc-message", GrpcStatus.encodeMessage(failure.getMessage()))
          .putHeader(HttpProxyVerticle.PRODUCED_BY, node).end();
      return;
    }
    resp.setStatusCode(failure.status()).putHeader("content-type", "text/plain; charset=utf-8")
        .putHeader(HttpProxyVerticle.PRODUCED_BY, node).end(failure.getMessage() + "\n");
  }

  /** Ends a response that cannot be completed: its stream on HTTP/2, the connection on HTTP/1.x. */
  static void cut(HttpServerRequest req) {
    if (req.version() == HttpVersion.HTTP_2) {
      req.response().reset();
    } else {
      req.connection().close();
    }
  }

  private void access(HttpServerRequest req, int status, String service, String peer, long started) {
    if (!accessLog) {
      return;
    }
    // No body, no query string (it may carry secrets), no headers.
    ACCESS.info(() -> node + " " + (req.remoteAddress() == null ? "-" : req.remoteAddress().hostAddress())
        + " " + req.method() + " " + (req.authority() == null ? "-" : req.authority()) + " " + req.path() + " "
        + status + " service=" + service + " peer=" + peer + " ms="
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }
}
