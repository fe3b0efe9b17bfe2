package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.OriginResponse;
import io.sscmic.gateway.http.upstream.PeerBalancer;
import io.sscmic.gateway.http.upstream.RequestStream;
import io.sscmic.gateway.mux.PeerUnavailableException;
import io.sscmic.gateway.mux.StreamRefusedException;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
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
import io.vertx.core.net.HostAndPort;
import io.sscmic.gateway.http.upstream.RetryBudget;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import java.time.Duration;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Sends a routed request to a peer of its service and streams the answer back, both ways with
 * back-pressure. The peer's side is a Future (as vertx-http-proxy's origin): it completes with the
 * response head of the peer that answered, or fails with a {@link ProxyFailure} that already says
 * what the client gets.
 *
 * <p>Retries, only where they are safe and within the service's {@link RetryBudget}: a request
 * whose peer failed is tried once more on another peer when no byte of it left the sidecar (no
 * stream to the peer could be had: any method, a gRPC call included, since the service never saw
 * it), or when it is idempotent and has no body. A timed-out one is not retried (the route's time
 * is spent), nor one whose response has started.
 *
 * <p>HTTP/2 and gRPC: a request from an HTTP/2 client has no Content-Length to tell its body by
 * (gRPC sends none), so a body is assumed unless the method has none by convention; the response's
 * trailers ({@code grpc-status}, {@code grpc-message}) are passed on; a {@code grpc-timeout}
 * shorter than the route's timeout bounds the exchange instead, and its expiry is answered as
 * DEADLINE_EXCEEDED (see {@link Answers#fail}).
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
  /** Methods that carry no body by convention: an HTTP/2 request of these without Content-Length has none. */
  private static final Set<HttpMethod> BODILESS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.DELETE, HttpMethod.TRACE);

  /**
   * The peer could not be given the request at all (no pooled stream or connection to it): nothing
   * of the request left the sidecar, so any request may go to another peer.
   */
  private static final class NotSent extends RuntimeException {
    NotSent(Throwable cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  /** A peer's response head, and the peer, whose outstanding count it holds until the body ends. */
  private record Exchange(UpstreamPeer peer, OriginResponse response) {
  }

  private final Answers answers;
  private final ForwardedHeaders headers;
  private final String node;

  Forwarder(Answers answers, ForwardedHeaders headers, String node) {
    this.answers = answers;
    this.headers = headers;
    this.node = node;
  }

  void forward(HttpServerRequest req, Target routed, PeerBalancer balancer, long started) {
    boolean body = hasBody(req);
    if (body) {
      // Held until the upstream request exists, then piped with back-pressure.
      req.pause();
    }
    Target target = withDeadline(req, routed);
    balancer.budget().request(System.nanoTime());
    exchange(req, target, balancer, null, null, IDEMPOTENT.contains(req.method()) && !body)
        .onSuccess(x -> relay(req, x, target, started))
        .onFailure(e -> answers.fail(req, ProxyFailure.exchange(e, target, "-"), target.route(), started));
  }

  /** A gRPC deadline shorter than the route's timeout bounds the exchange instead. */
  private static Target withDeadline(HttpServerRequest req, Target target) {
    Duration deadline = GrpcStatus.timeout(req.getHeader("grpc-timeout"));
    if (deadline == null || deadline.compareTo(target.timeout()) >= 0) {
      return target;
    }
    // Vert.x's timer has millisecond resolution; 0 would mean none at all.
    Duration bounded = deadline.toMillis() < 1 ? Duration.ofMillis(1) : deadline;
    return new Target(target.service(), target.route(), target.host(), target.path(), bounded);
  }

  /**
   * @param failed the peer that failed this request's first attempt, with its failure; a retry
   *     goes to another peer, and without one the first failure is the answer
   * @param idempotentNoBody whether a retry is safe even after the request went out; null on a
   *     retry (there is no second one)
   */
  private Future<Exchange> exchange(HttpServerRequest req, Target target, PeerBalancer balancer,
                                    UpstreamPeer failed, ProxyFailure firstFailure, Boolean idempotentNoBody) {
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
    long sent = System.nanoTime();
    return send(req, target, peer).transform(ar -> {
      if (ar.succeeded()) {
        peer.succeeded();
        long now = System.nanoTime();
        peer.observe(now - sent, now);
        return Future.succeededFuture(new Exchange(peer, ar.result()));
      }
      peer.end();
      if (req.response().closed()) {
        // The client left, and its request to the peer was reset on its behalf (the close handlers
        // below): the peer did nothing wrong. Blamed, it was ejected by every load generator's last
        // in-flight requests, and a one-peer service answered 503 for seconds after.
        return Future.failedFuture(new ProxyFailure(ProxyFailure.Kind.CLIENT_GONE, target.service(),
            "the client closed its connection before the answer"));
      }
      boolean notSent = ar.cause() instanceof NotSent;
      Throwable cause = notSent ? ar.cause().getCause() : ar.cause();
      ProxyFailure failure = ProxyFailure.exchange(cause, target, peer.endpoint().address());
      if (peer.failed(System.nanoTime())) {
        answers.metrics().ejected(target.service());
        LOG.warning(() -> node + ": ejected peer " + peer + " for a while after repeated failures ("
            + cause.getMessage() + ")");
      }
      boolean safe = idempotentNoBody != null && (notSent || idempotentNoBody);
      if (failure.retriable() && safe && !req.response().headWritten()) {
        if (!balancer.budget().tryRetry(System.nanoTime())) {
          answers.metrics().retryBudgetExhausted(target.service());
          return Future.failedFuture(failure);
        }
        answers.metrics().retried(target.service());
        return exchange(req, target, balancer, peer, failure, null);
      }
      return Future.failedFuture(failure);
    });
  }

  private Future<OriginResponse> send(HttpServerRequest req, Target target, UpstreamPeer peer) {
    if (peer.streams() != null) {
      return sendAsStream(req, target, peer);
    }
    return sendThroughLoopback(req, target, peer).map(ClientOrigin::new);
  }

  /**
   * Tunnel v2: the request as a request stream on the node's peer pool. No stream to be had, or
   * one the peer refused, means the service never saw the request ({@link NotSent}).
   */
  private Future<OriginResponse> sendAsStream(HttpServerRequest req, Target target, UpstreamPeer peer) {
    boolean body = hasBody(req);
    MultiMap out = headers.request(req, target);
    String length = req.getHeader("content-length");
    if (body && length != null) {
      out.set("content-length", length);
    }
    out.remove("expect");
    // :authority names the service to the receiving node (and becomes the service's Host): the
    // client's own host travels as X-Forwarded-Host.
    String host = out.get("host") != null ? out.get("host") : req.authority() == null ? null : req.authority().toString();
    if (host != null && !out.contains("x-forwarded-host")) {
      out.set("x-forwarded-host", host);
    }
    Handler<OriginResponse> opened = stream -> {
      // The client gives up before the answer's head: the stream is reset, as on the loopback path
      // (relay() takes this handler over once the answer is relayed).
      req.response().closeHandler(v -> stream.reset());
      if (body && expectsContinue(req)) {
        req.response().writeContinue();
      }
    };
    return RequestStream.send(peer.streams(), peer.endpoint(), target.service(), peer.protocol(), req.method(),
        target.path(), out, body ? req : null, target.timeout(), opened).recover(e -> Future.failedFuture(e instanceof PeerUnavailableException
        || e instanceof StreamRefusedException ? new NotSent(e) : e));
  }

  private Future<HttpClientResponse> sendThroughLoopback(HttpServerRequest req, Target target, UpstreamPeer peer) {
    RequestOptions options = new RequestOptions().setMethod(req.method()).setURI(target.path())
        .setTimeout(target.timeout().toMillis()).setHeaders(headers.request(req, target));
    boolean h2 = peer.protocol() == ServiceProtocol.H2C;
    String host = h2 ? options.getHeaders().get("host") : null;
    if (h2) {
      // HTTP/2 names the authority in :authority, not in a Host header.
      options.getHeaders().remove("host");
    }
    return peer.http().request(options).recover(e -> Future.failedFuture(new NotSent(e))).compose(up -> {
      if (host != null) {
        up.authority(HostAndPort.parseAuthority(host, 80));
      }
      // The client gives up before the answer's head (an HTTP/2 reset, as a gRPC cancel or deadline
      // sends, or a closed connection): the request to the service is abandoned too, so that the
      // service learns it (gRPC: CANCELLED) and the pooled stream is free. Once the answer is being
      // relayed, responseBody() takes this handler over.
      req.response().closeHandler(v -> up.reset());
      if (!hasBody(req)) {
        return up.send();
      }
      String length = req.getHeader("content-length");
      up.setChunked(length == null && !h2);
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
    if (length != null) {
      return !length.trim().equals("0");
    }
    if (req.version() == HttpVersion.HTTP_2) {
      return !req.isEnded() && !BODILESS.contains(req.method());
    }
    return req.getHeader("transfer-encoding") != null;
  }

  private void relay(HttpServerRequest req, Exchange x, Target target, long started) {
    OriginResponse up = x.response();
    UpstreamPeer peer = x.peer();
    HttpServerResponse resp = req.response();
    if (resp.closed() || resp.ended()) {
      // The client went away while the peer was answering: nothing to relay, free the upstream stream.
      peer.end();
      up.exceptionHandler(e -> { });
      up.reset();
      answers.metrics().request(target.service(), target.route(), ProxyFailure.Kind.CLIENT_GONE.outcome,
          Duration.ofNanos(System.nanoTime() - started));
      return;
    }
    resp.setStatusCode(up.statusCode()).setStatusMessage(up.statusMessage());
    headers.response(up.headers(), resp.headers());
    if (up.headers().get("content-length") == null && req.method() != HttpMethod.HEAD && up.statusCode() != 204
        && up.statusCode() != 304 && req.version() != HttpVersion.HTTP_2) {
      resp.setChunked(true);
    }
    responseBody(up, resp, req.version() == HttpVersion.HTTP_2 || resp.isChunked()).onComplete(ar -> {
      peer.end();
      answers.done(req, up.statusCode(), (up.statusCode() / 100) + "xx", target.service(), target.route(), peer.toString(),
          started);
      if (ar.failed()) {
        LOG.fine(() -> node + ": response from " + peer + " cut short: " + ar.cause().getMessage());
        Answers.cut(req);
      }
    });
  }

  /**
   * Streams the upstream body to the client with back-pressure. Unlike Vert.x's pipe it copes with
   * a client that leaves mid-body: the upstream stream is reset (freeing its pooled tunnel
   * connection) and nothing more is written. The trailers (gRPC's status) follow the body where
   * the client's protocol can carry them: HTTP/2, or a chunked HTTP/1.1 response.
   */
  private static Future<Void> responseBody(OriginResponse up, HttpServerResponse resp, boolean trailers) {
    Promise<Void> done = Promise.promise();
    // On HTTP/2 the stream's close handler fires on a normal end too: only a close before the end is the client leaving.
    boolean[] ending = {false};
    resp.closeHandler(v -> {
      if (!ending[0] && done.tryFail("the client closed the connection")) {
        up.exceptionHandler(e -> { });
        up.reset();
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
        ending[0] = true;
        if (trailers && !up.trailers().isEmpty()) {
          HopByHop.copy(up.trailers(), resp.trailers());
        }
        resp.end().onComplete(ar -> {
          if (ar.succeeded()) {
            done.tryComplete();
          } else {
            done.tryFail(ar.cause());
          }
        });
      }
    });
    return done.future();
  }
}
