package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.PeerBalancer;
import io.sscmic.gateway.http.upstream.UpstreamPeer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;

/**
 * HTTP/1.1 upgrades (WebSocket and any other protocol named in {@code Upgrade}), with Vert.x's own
 * upgrade support on both sides, as vertx-http-proxy does: the request goes to a peer over the
 * pooled client with {@code HttpClientRequest.connect()}; when the service answers 101, its
 * response becomes a socket ({@code HttpClientResponse.netSocket()}, which takes the connection
 * out of the pool), the client's request becomes one too ({@code HttpServerRequest.toNetSocket()},
 * which writes the 101 with the service's headers), and the two are joined. Any other answer is a
 * refusal, reported as 502.
 */
final class UpgradeProxy {
  private final Answers answers;
  private final ForwardedHeaders headers;

  UpgradeProxy(Answers answers, ForwardedHeaders headers) {
    this.answers = answers;
    this.headers = headers;
  }

  static boolean isUpgrade(HttpServerRequest req) {
    return req.method() == HttpMethod.GET && req.getHeader("upgrade") != null;
  }

  void upgrade(HttpServerRequest req, Target target, PeerBalancer balancer, long started) {
    UpstreamPeer peer = balancer.pick(null);
    if (peer == null) {
      answers.fail(req, ProxyFailure.noPeer(target.service()), target.route(), started);
      return;
    }
    // Nothing of the client's is read until both ends are sockets.
    req.pause();
    MultiMap h = headers.request(req, target);
    // Upgrade and Connection are hop-by-hop, and are exactly what this hop must pass on.
    h.set("upgrade", req.getHeader("upgrade"));
    h.set("connection", "upgrade");
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setURI(target.path())
        .setTimeout(target.timeout().toMillis()).setHeaders(h);
    peer.loopback().compose(x -> peer.http().request(options)).compose(up -> {
      // Its failures (a timeout that names the internal entry port) are the Future's, not an unhandled error.
      up.exceptionHandler(e -> { });
      return up.connect();
    }).onComplete(ar -> {
      if (ar.failed()) {
        answers.fail(req, ProxyFailure.exchange(ar.cause(), target, peer.endpoint().address()), target.route(),
            started);
        return;
      }
      HttpClientResponse resp = ar.result();
      if (resp.statusCode() != 101) {
        // The connection was not switched and its request never ends: reset it rather than pool it.
        resp.request().reset();
        answers.fail(req, new ProxyFailure(ProxyFailure.Kind.UPSTREAM, target.service(), "service '"
            + target.service() + "' refused the upgrade: status " + resp.statusCode() + " " + resp.statusMessage()),
            target.route(), started);
        return;
      }
      NetSocket upstream = resp.netSocket();
      // What the service sends right after its 101 waits here until the client's side is a socket.
      upstream.pause();
      req.response().headers().addAll(resp.headers());
      req.toNetSocket().onComplete(local -> {
        if (local.failed()) {
          upstream.close();
          return;
        }
        answers.done(req, 101, "1xx", target.service(), target.route(), peer.toString(), started);
        Splice.join(local.result(), upstream);
      });
    });
  }
}
