package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.PeerBalancer;
import io.sscmic.gateway.http.upstream.UpstreamPeer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Sends a routed request to a peer of its service and streams the answer back, both ways with
 * back-pressure. The peer's side is a Future (as vertx-http-proxy's origin): it completes with the
 * response head of the peer that answered, or fails with a {@link ProxyFailure} that already says
 * what the client gets. A bodiless idempotent request whose peer failed is tried once more on
 * another peer; a timed-out one is not (the route's time is spent).
 *
 * <p>{@code Expect: 100-continue}: the listener answers 100 itself as soon as it holds a pooled
 * stream to the picked peer, and does not pass the expectation on. Waiting for the service's own
 * 100 would stall every upload on services that never send one (Vert.x's default, HTTP/1.0
 * servers): curl then waits a second per upload, and a client that waits for the 100 waits for the
 * route timeout. What the client can learn before sending its body, the sidecar knows by then
 * (route, a peer, a stream to it); a service that refuses the body still answers with its final
 * status, only after the body has started to flow. Envoy does the same by default.
 */
final class Forwarder {
  private static final Logger LOG = Logger.getLogger(HttpProxyVerticle.class.getName());
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  /** A peer's response head, and the peer, whose outstanding count it holds until the body ends. */
  private record Exchange(UpstreamPeer peer, HttpClientResponse response) {
  }

  private final Answers answers;
  private final ForwardedHeaders headers;
  private final String node;

  Forwarder(Answers answers, ForwardedHeaders headers, String node) {
    this.answers = answers;
    this.headers = headers;
    this.node = node;
  }

  void forward(HttpServerRequest req, Target target, PeerBalancer balancer, long started) {
    boolean body = hasBody(req);
    if (body) {
      // Held until the upstream request exists, then piped with back-pressure.
      req.pause();
    }
    exchange(req, target, balancer, null, null, IDEMPOTENT.contains(req.method()) && !body)
        .onSuccess(x -> relay(req, x, target, started))
        .onFailure(e -> answers.fail(req, ProxyFailure.exchange(e, target, "-"), started));
  }

  /**
   * @param failed the peer that failed this request's first attempt, with its failure; a retry
   *     goes to another peer, and without one the first failure is the answer
   */
  private Future<Exchange> exchange(HttpServerRequest req, Target target, PeerBalancer balancer,
                                    UpstreamPeer failed, ProxyFailure firstFailure, boolean retriable) {
    UpstreamPeer peer = balancer.pick(failed);
    if (peer == null) {
      if (firstFailure != null) {
        return Future.failedFuture(firstFailure);
      }
      return Future.failedFuture(balancer.size() == 0
          ? new ProxyFailure(ProxyFailure.Kind.NO_PEER, target.service(), "service '" + target.service()
              + "' has no peers configured")
          : ProxyFailure.noPeer(target.service()));
    }
    peer.begin();
    return send(req, target, peer).transform(ar -> {
      if (ar.succeeded()) {
        peer.succeeded();
        return Future.succeededFuture(new Exchange(peer, ar.result()));
      }
      peer.end();
      ProxyFailure failure = ProxyFailure.exchange(ar.cause(), target, peer.endpoint().address());
      if (peer.failed(System.nanoTime())) {
        answers.metrics().ejected(target.service());
        LOG.warning(() -> node + ": ejected peer " + peer + " for a while after repeated failures ("
            + ar.cause().getMessage() + ")");
      }
      if (failure.retriable() && retriable && !req.response().headWritten()) {
        answers.metrics().retried(target.service());
        return exchange(req, target, balancer, peer, failure, false);
      }
      return Future.failedFuture(failure);
    });
  }

  private Future<HttpClientResponse> send(HttpServerRequest req, Target target, UpstreamPeer peer) {
    RequestOptions options = new RequestOptions().setMethod(req.method()).setURI(target.path())
        .setTimeout(target.timeout().toMillis()).setHeaders(headers.request(req, target));
    return peer.http().request(options).compose(up -> {
      if (!hasBody(req)) {
        return up.send();
      }
      String length = req.getHeader("content-length");
      up.setChunked(length == null);
      if (length != null) {
        up.putHeader("content-length", length);
      }
      if (expectsContinue(req)) {
        // A stream to the peer is ours: the client may send its body now (see the class comment).
        req.response().writeContinue();
      }
      return send(up, req);
    });
  }

  /**
   * Sends the head, then pipes the client's body. A failure of the exchange (the route timeout, a
   * peer gone) is the returned Future's; the request's own exception handler keeps it from also
   * being reported as an unhandled exception that names the internal tunnel entry's port.
   */
  private static Future<HttpClientResponse> send(HttpClientRequest up, HttpServerRequest req) {
    up.exceptionHandler(e -> { });
    return up.send(req);
  }

  private static boolean expectsContinue(HttpServerRequest req) {
    return req.version() == HttpVersion.HTTP_1_1 && "100-continue".equalsIgnoreCase(req.getHeader("expect"));
  }

  static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader("content-length");
    return req.getHeader("transfer-encoding") != null || (length != null && !length.trim().equals("0"));
  }

  private void relay(HttpServerRequest req, Exchange x, Target target, long started) {
    HttpClientResponse up = x.response();
    UpstreamPeer peer = x.peer();
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      // The client went away while the peer was answering: nothing to relay, free the upstream stream.
      peer.end();
      up.exceptionHandler(e -> { });
      up.request().reset();
      answers.metrics().request(target.service(), "client_gone", Duration.ofNanos(System.nanoTime() - started));
      return;
    }
    resp.setStatusCode(up.statusCode()).setStatusMessage(up.statusMessage());
    headers.response(up.headers(), resp.headers());
    if (up.getHeader("content-length") == null && req.method() != HttpMethod.HEAD && up.statusCode() != 204
        && up.statusCode() != 304) {
      resp.setChunked(true);
    }
    responseBody(up, resp).onComplete(ar -> {
      peer.end();
      answers.done(req, up.statusCode(), (up.statusCode() / 100) + "xx", target.service(), peer.toString(), started);
      if (ar.failed()) {
        LOG.fine(() -> node + ": response from " + peer + " cut short: " + ar.cause().getMessage());
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
}
