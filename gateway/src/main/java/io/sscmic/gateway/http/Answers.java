package io.sscmic.gateway.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
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

  /** A request the service answered (or that became a tunnel): counted under {@code outcome}. */
  void done(HttpServerRequest req, int status, String outcome, String service, String peer, long started) {
    metrics.request(service, outcome, Duration.ofNanos(System.nanoTime() - started));
    access(req, status, service, peer, started);
  }

  /** The sidecar answers instead of the service; a response already under way is cut instead. */
  void fail(HttpServerRequest req, ProxyFailure failure, long started) {
    done(req, failure.status(), failure.outcome(), failure.service(), "-", started);
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      return;
    }
    if (resp.headWritten()) {
      req.connection().close();
      return;
    }
    LOG.fine(() -> node + ": " + failure.status() + " " + failure.getMessage());
    resp.setStatusCode(failure.status()).putHeader("content-type", "text/plain; charset=utf-8")
        .putHeader(HttpProxyVerticle.PRODUCED_BY, node).end(failure.getMessage() + "\n");
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
