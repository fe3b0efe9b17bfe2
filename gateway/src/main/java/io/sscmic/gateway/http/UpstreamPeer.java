package io.sscmic.gateway.http;

import io.sscmic.gateway.outbound.OutboundListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One peer sidecar serving a service, as the HTTP listener sees it: a private loopback entry
 * into the encrypted tunnel (an {@link OutboundListener} on an ephemeral port) and a keep-alive
 * HTTP client pooled over it, so that requests reuse established tunnel streams (no hello per
 * request) and the pool bounds the streams per peer. Tracks outstanding requests for balancing
 * and consecutive failures for ejection (passive health, as Envoy's outlier detection).
 */
final class UpstreamPeer {
  /** Consecutive failures that eject a peer. */
  static final int EJECT_AFTER = 2;
  static final Duration BASE_EJECTION = Duration.ofSeconds(2);
  static final Duration MAX_EJECTION = Duration.ofSeconds(30);

  final String service;
  final SocketAddress peer;
  private final OutboundListener entry;
  private final AtomicInteger outstanding = new AtomicInteger();
  private int consecutiveFailures;
  private int ejections;
  private long ejectedUntilNanos;
  private HttpClient http;
  private NetClient raw;
  private int port;

  UpstreamPeer(String service, SocketAddress peer, OutboundListener entry) {
    this.service = service;
    this.peer = peer;
    this.entry = entry;
  }

  Future<Void> start(Vertx vertx, int maxConnections, Duration connectTimeout) {
    return entry.listen(SocketAddress.inetSocketAddress(0, "127.0.0.1")).map(p -> {
      port = p;
      http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(p)
          .setKeepAlive(true).setConnectTimeout((int) connectTimeout.toMillis()).setTcpNoDelay(true),
          new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(10 * maxConnections));
      raw = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
          .setConnectTimeout((int) connectTimeout.toMillis()));
      return null;
    });
  }

  HttpClient http() {
    return http;
  }

  NetClient raw() {
    return raw;
  }

  int port() {
    return port;
  }

  int outstanding() {
    return outstanding.get();
  }

  void begin() {
    outstanding.incrementAndGet();
  }

  void end() {
    outstanding.decrementAndGet();
  }

  synchronized boolean healthy(long nowNanos) {
    return nowNanos >= ejectedUntilNanos;
  }

  /** An active probe found the peer well: it takes traffic again at once. */
  synchronized void probedHealthy() {
    consecutiveFailures = 0;
    ejectedUntilNanos = 0;
  }

  /** An active probe failed: out of rotation until a probe succeeds or the backoff passes. */
  synchronized boolean probedUnhealthy(long nowNanos, Duration interval) {
    boolean wasHealthy = nowNanos >= ejectedUntilNanos;
    ejectedUntilNanos = Math.max(ejectedUntilNanos, nowNanos + interval.toNanos() * 2);
    return wasHealthy;
  }

  synchronized void succeeded() {
    consecutiveFailures = 0;
    ejections = 0;
  }

  /** @return true when this failure ejected the peer */
  synchronized boolean failed(long nowNanos) {
    if (++consecutiveFailures < EJECT_AFTER) {
      return false;
    }
    consecutiveFailures = 0;
    long backoff = Math.min(MAX_EJECTION.toNanos(), BASE_EJECTION.toNanos() << Math.min(ejections, 4));
    ejections++;
    ejectedUntilNanos = nowNanos + backoff;
    return true;
  }

  Future<Void> close(Duration drain) {
    Future<Void> h = http == null ? Future.succeededFuture()
        : http.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
    Future<Void> r = raw == null ? Future.succeededFuture() : raw.close();
    return Future.join(h, r, entry.close(drain)).mapEmpty();
  }

  @Override
  public String toString() {
    return service + "@" + peer.host() + ":" + peer.port();
  }
}
