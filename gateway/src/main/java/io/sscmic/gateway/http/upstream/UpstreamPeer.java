package io.sscmic.gateway.http.upstream;

import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.outbound.OutboundListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One peer sidecar serving a service, as the HTTP listener sees it: a private loopback entry
 * into the encrypted tunnel ({@link TunnelEntry} on an ephemeral port) and a keep-alive HTTP
 * client pooled over it, so that requests reuse established tunnel streams (no hello per request)
 * and the pool bounds the streams per peer. Tracks outstanding requests for balancing and
 * consecutive failures for ejection (passive health, as Envoy's outlier detection), and a peak
 * EWMA of its response latency, which the balancer weighs with the outstanding count.
 *
 * <p>The pool speaks the protocol of the service ({@link ServiceProtocol}): HTTP/1.1 keep-alive,
 * or HTTP/2 with prior knowledge over a few tunnel connections that each carry many streams.
 *
 * <p>Health methods take the time as an argument so that the ejection schedule is testable
 * without waiting for it.
 */
public final class UpstreamPeer {
  /** Consecutive failures that eject a peer. */
  public static final int EJECT_AFTER = 2;
  public static final Duration BASE_EJECTION = Duration.ofSeconds(2);
  public static final Duration MAX_EJECTION = Duration.ofSeconds(30);
  /** How fast the latency average forgets: a sample this old weighs 1/e. */
  static final Duration EWMA_DECAY = Duration.ofSeconds(10);
  /** The latency assumed of a peer not measured yet: low, so that a new peer gets tried. */
  static final long DEFAULT_LATENCY_NANOS = Duration.ofMillis(1).toNanos();
  /** HTTP/2 connections per peer: each carries many streams, a few spread the load over event loops. */
  static final int H2_CONNECTIONS = 2;

  private final String service;
  private final Endpoint endpoint;
  private final TunnelEntry entry;
  private final ServiceProtocol protocol;
  private final AtomicInteger outstanding = new AtomicInteger();
  private double latencyNanos = -1;
  private long latencyAt;
  private int consecutiveFailures;
  private int ejections;
  private long ejectedUntilNanos;
  /** The node's v2 peer pool when requests to this peer go as request streams; null: the loopback entry. */
  private final PeerPool streams;
  private HttpClient http;
  private NetClient raw;
  private int port;
  private Vertx vertx;
  private int maxConnections;
  private Duration connectTimeout;
  /** The loopback entry's start, once asked for (at start without v2; on first upgrade, CONNECT or probe with v2). */
  private Future<Void> loopback;

  public UpstreamPeer(String service, Endpoint endpoint, TunnelEntry entry) {
    this(service, endpoint, entry, ServiceProtocol.HTTP1);
  }

  public UpstreamPeer(String service, Endpoint endpoint, TunnelEntry entry, ServiceProtocol protocol) {
    this(service, endpoint, entry, protocol, null);
  }

  /**
   * @param streams the node's v2 peer pool, for a peer whose endpoint names its node: each request
   *     is a request stream on it ({@link RequestStream}); null: through the loopback entry
   */
  public UpstreamPeer(String service, Endpoint endpoint, TunnelEntry entry, ServiceProtocol protocol,
                      PeerPool streams) {
    this.service = service;
    this.endpoint = endpoint;
    this.entry = entry;
    this.protocol = protocol;
    this.streams = streams;
  }

  /** The v2 peer pool that carries this peer's requests as request streams, or null (loopback entry). */
  public PeerPool streams() {
    return streams;
  }

  /** Whether the loopback tunnel entry was opened (with v2 only an upgrade, CONNECT or health probe opens it). */
  public boolean loopbackOpened() {
    return loopback != null;
  }

  public ServiceProtocol protocol() {
    return protocol;
  }

  /**
   * Opens the tunnel entry on an ephemeral loopback port and the clients over it; for a peer
   * reached by request streams nothing (the entry opens on first need, see {@link #loopback()}).
   */
  public Future<Void> start(Vertx vertx, int maxConnections, Duration connectTimeout) {
    this.vertx = vertx;
    this.maxConnections = maxConnections;
    this.connectTimeout = connectTimeout;
    return streams != null ? Future.succeededFuture() : loopback();
  }

  /**
   * The loopback entry and its clients ({@link #http()}, {@link #openStream()}), opened once. A
   * peer on request streams needs it only for what is not a request stream yet: an upgrade, a
   * CONNECT, a health probe. Call on the listener's context.
   */
  public Future<Void> loopback() {
    if (loopback == null) {
      loopback = openLoopback();
    }
    return loopback;
  }

  private Future<Void> openLoopback() {
    return entry.listen(SocketAddress.inetSocketAddress(0, "127.0.0.1")).map(p -> {
      port = p;
      HttpClientOptions options = new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(p)
          .setKeepAlive(true).setConnectTimeout((int) connectTimeout.toMillis()).setTcpNoDelay(true);
      PoolOptions pool = new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(10 * maxConnections);
      if (protocol == ServiceProtocol.H2C) {
        // Prior knowledge: the preface goes out at once, no HTTP/1 upgrade round trip through the tunnel.
        options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
        pool.setHttp2MaxSize(Math.min(H2_CONNECTIONS, maxConnections));
      }
      http = vertx.createHttpClient(options, pool);
      raw = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
          .setConnectTimeout((int) connectTimeout.toMillis()));
      return null;
    });
  }

  public String service() {
    return service;
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  /** The pooled keep-alive client into the tunnel: requests, health probes and upgrades. */
  public HttpClient http() {
    return http;
  }

  /** A fresh raw stream to the service through the tunnel (CONNECT), outside the HTTP pool. */
  public Future<NetSocket> openStream() {
    return loopback().compose(v -> raw.connect(port, "127.0.0.1"));
  }

  public int outstanding() {
    return outstanding.get();
  }

  public void begin() {
    outstanding.incrementAndGet();
  }

  public void end() {
    outstanding.decrementAndGet();
  }

  /**
   * A response head came back after {@code nanos}: the peak EWMA takes a slower sample at once
   * (a peer that slows down loses traffic now), and forgets it with {@link #EWMA_DECAY}.
   */
  public synchronized void observe(long nanos, long nowNanos) {
    if (latencyNanos < 0 || nanos > latencyNanos) {
      latencyNanos = nanos;
    } else {
      latencyNanos = latencyNanos * decay(nowNanos) + nanos * (1 - decay(nowNanos));
    }
    latencyAt = nowNanos;
  }

  private double decay(long nowNanos) {
    return Math.exp(-(double) Math.max(0, nowNanos - latencyAt) / EWMA_DECAY.toNanos());
  }

  /**
   * The peak-EWMA latency as of {@code nowNanos}, or {@link #DEFAULT_LATENCY_NANOS} before the
   * first response. It decays while no sample comes (as Finagle's reads it, an elapsed time being
   * a zero sample): a peer that was slow once and then lost every draw would otherwise never be
   * tried again, its old peak standing forever.
   */
  public synchronized double latencyNanos(long nowNanos) {
    return latencyNanos < 0 ? DEFAULT_LATENCY_NANOS : latencyNanos * decay(nowNanos);
  }

  /**
   * What a new request would expect here: the latency times the requests it would queue behind
   * (Finagle's and Linkerd's peak-EWMA cost). Lower is better.
   */
  public double cost(long nowNanos) {
    return latencyNanos(nowNanos) * (outstanding() + 1);
  }

  public synchronized boolean healthy(long nowNanos) {
    return nowNanos >= ejectedUntilNanos;
  }

  /** An active probe found the peer well: it takes traffic again at once. */
  public synchronized void probedHealthy() {
    if (ejectedUntilNanos != 0) {
      // Back in rotation: its latency from before its trouble says nothing now. Kept, its old peak
      // would lose every draw against a peer with fresh samples (with two peers, P2C compares
      // both every time) until it decayed, tens of seconds; as a new peer it is tried at once.
      latencyNanos = -1;
    }
    consecutiveFailures = 0;
    ejectedUntilNanos = 0;
  }

  /**
   * An active probe failed: out of rotation until a probe succeeds or twice the interval passes.
   *
   * @return true when the peer was in rotation until now
   */
  public synchronized boolean probedUnhealthy(long nowNanos, Duration interval) {
    boolean wasHealthy = nowNanos >= ejectedUntilNanos;
    ejectedUntilNanos = Math.max(ejectedUntilNanos, nowNanos + interval.toNanos() * 2);
    return wasHealthy;
  }

  public synchronized void succeeded() {
    consecutiveFailures = 0;
    ejections = 0;
  }

  /**
   * A request to this peer failed. {@value #EJECT_AFTER} in a row eject it for
   * {@link #BASE_EJECTION}, doubling with each ejection without a success in between, up to
   * {@link #MAX_EJECTION}.
   *
   * @return true when this failure ejected the peer
   */
  public synchronized boolean failed(long nowNanos) {
    if (++consecutiveFailures < EJECT_AFTER) {
      return false;
    }
    consecutiveFailures = 0;
    long backoff = Math.min(MAX_EJECTION.toNanos(), BASE_EJECTION.toNanos() << Math.min(ejections, 4));
    ejections++;
    ejectedUntilNanos = nowNanos + backoff;
    return true;
  }

  /** Stops taking new streams; requests in flight get up to {@code drain}. */
  public Future<Void> close(Duration drain) {
    Future<Void> h = http == null ? Future.succeededFuture()
        : http.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
    Future<Void> r = raw == null ? Future.succeededFuture() : raw.close();
    Future<Void> e = loopback == null ? Future.succeededFuture() : loopback.transform(x -> entry.close(drain));
    return Future.join(h, r, e).mapEmpty();
  }

  @Override
  public String toString() {
    return service + "@" + endpoint.address();
  }
}
