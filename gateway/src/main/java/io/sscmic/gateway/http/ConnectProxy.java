package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.PeerBalancer;
import io.sscmic.gateway.http.upstream.UpstreamPeer;
import io.vertx.core.http.HttpServerRequest;

/**
 * {@code CONNECT service:port} (forward-proxy use, e.g. {@code curl -p -x}): a raw TCP stream to
 * the service through the tunnel. It takes a fresh tunnel stream of its own, outside the HTTP pool,
 * since what flows in it is not HTTP the pool could reuse.
 */
final class ConnectProxy {
  private final Answers answers;

  ConnectProxy(Answers answers) {
    this.answers = answers;
  }

  void connect(HttpServerRequest req, String service, PeerBalancer balancer, long started) {
    UpstreamPeer peer = balancer.pick(null);
    if (peer == null) {
      answers.fail(req, ProxyFailure.noPeer(service), HttpRoute.NONE, started);
      return;
    }
    req.pause();
    peer.openStream().onComplete(ar -> {
      if (ar.failed()) {
        answers.fail(req, new ProxyFailure(ProxyFailure.Kind.UPSTREAM, service, "CONNECT to service '" + service
            + "' failed: " + ar.cause().getMessage()), HttpRoute.NONE, started);
        return;
      }
      // Vert.x answers 200 to a CONNECT when the request becomes a socket.
      req.toNetSocket().onComplete(local -> {
        if (local.failed()) {
          ar.result().close();
          return;
        }
        answers.done(req, 200, "connect", service, HttpRoute.NONE, peer.toString(), started);
        Splice.join(local.result(), ar.result());
      });
    });
  }
}
