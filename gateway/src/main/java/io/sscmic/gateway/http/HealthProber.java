package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.ServicePeers;
import io.sscmic.gateway.http.upstream.RequestStream;
import io.sscmic.gateway.http.upstream.UpstreamPeer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.logging.Logger;

/**
 * Active health: asks each peer's service for {@code http.health-path} through the tunnel, every
 * {@code http.health-interval}. Any answer below 500 proves the tunnel, the peer sidecar and the
 * service; a 5xx or no answer takes the peer out of rotation until a probe succeeds. Each round
 * reads the peer sets anew, so peers added or removed live are probed, or no longer, from the
 * next round on.
 */
final class HealthProber {
  private static final Logger LOG = Logger.getLogger(HttpProxyVerticle.class.getName());

  private final Vertx vertx;
  private final Collection<ServicePeers> services;
  private final String path;
  private final Duration interval;
  private final HttpMetrics metrics;
  private final String node;
  private long timer = -1;

  HealthProber(Vertx vertx, Collection<ServicePeers> services, String path, Duration interval, HttpMetrics metrics,
               String node) {
    this.vertx = vertx;
    this.services = List.copyOf(services);
    this.path = path;
    this.interval = interval;
    this.metrics = metrics;
    this.node = node;
  }

  void start() {
    timer = vertx.setPeriodic(interval.toMillis(), t -> services.forEach(s -> s.balancer().peers().forEach(this::probe)));
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  /** The probe's status: a GET of the path, as a request stream where the peer takes them. */
  private Future<Integer> status(UpstreamPeer peer) {
    if (peer.streams() != null) {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("user-agent", "sscmic-health/" + node);
      return RequestStream.send(peer.streams(), peer.endpoint(), peer.service(), peer.protocol(), HttpMethod.GET, path, headers, null,
          interval, null).compose(resp -> {
            Promise<Integer> done = Promise.promise();
            resp.exceptionHandler(done::tryFail).handler(b -> { }).endHandler(v -> done.tryComplete(resp.statusCode()));
            return done.future();
          });
    }
    return peer.loopback().compose(x -> peer.http().request(new RequestOptions().setMethod(HttpMethod.GET).setURI(path)
            .setTimeout(interval.toMillis()).putHeader("user-agent", "sscmic-health/" + node)))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(x -> resp.statusCode()));
  }

  private void probe(UpstreamPeer peer) {
    status(peer).onComplete(ar -> {
          if (ar.succeeded() && ar.result() < 500) {
            if (!peer.healthy(System.nanoTime())) {
              LOG.info(() -> node + ": peer " + peer + " passes its health probe again");
            }
            peer.probedHealthy();
          } else if (peer.probedUnhealthy(System.nanoTime(), interval)) {
            metrics.ejected(peer.service());
            LOG.warning(() -> node + ": peer " + peer + " failed its health probe ("
                + (ar.succeeded() ? "status " + ar.result() : ar.cause().getMessage()) + "); out of rotation");
          }
        });
  }
}
