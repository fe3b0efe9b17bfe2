package io.sscmic.gateway.mux;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.netty.handler.codec.http2.Http2Error;
import java.util.EnumMap;
import java.util.Locale;
import io.sscmic.gateway.tunnel.BoundedLabels;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The multiplexer's meters ({@code sscmic_mux_*}), all with bounded labels: {@code peer} is an
 * authenticated peer node id (a connection that never authenticated creates no label), at most
 * {@link #MAX_PEERS} of them, later ones folded into {@value #OTHER}; {@code reason} and
 * {@code code} come from closed enums; {@code direction} is outbound (this node opened the
 * stream) or inbound. Thread-safe; the pool and every connection of a node share one instance.
 */
public final class MuxMetrics {
  public static final int MAX_PEERS = 64;
  public static final String OTHER = BoundedLabels.OTHER;

  private final MeterRegistry registry;
  private final String node;
  private final BoundedLabels<Peer> peers = new BoundedLabels<>(MAX_PEERS, Peer::new);
  private final Map<RefusalReason, Counter> refusedIn = new EnumMap<>(RefusalReason.class);
  private final Map<RefusalReason, Counter> refusedOut = new EnumMap<>(RefusalReason.class);
  private final Map<Http2Error, Counter> resets = new ConcurrentHashMap<>();
  private final AtomicLong poolConnections = new AtomicLong();

  public MuxMetrics(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
    for (RefusalReason r : RefusalReason.values()) {
      refusedIn.put(r, refusedCounter(r, "inbound"));
      refusedOut.put(r, refusedCounter(r, "outbound"));
    }
    Gauge.builder("sscmic.mux.pool.connections", poolConnections, AtomicLong::get)
        .description("Peer connections held by this node's pool").tag("node", node).register(registry);
  }

  /** Meters that go nowhere (tests and measurements that do not look at them). */
  public static MuxMetrics none() {
    return new MuxMetrics(new CompositeMeterRegistry(), "none");
  }

  private Counter refusedCounter(RefusalReason r, String direction) {
    return Counter.builder("sscmic.mux.streams.refused")
        .description("Stream opens refused, by reason (inbound: refused by this node; outbound: by the peer)")
        .tag("node", node).tag("direction", direction).tag("reason", r.token()).register(registry);
  }

  /** The meters of one authenticated peer (created on first use, bounded). */
  public Peer peer(String peerNodeId) {
    return peers.get(peerNodeId == null ? "unknown" : peerNodeId);
  }

  /** The peers with meters so far (for a status page). */
  public java.util.Collection<Peer> peers() {
    return peers.all();
  }

  public void refused(RefusalReason reason, Role role) {
    (role == Role.SERVER ? refusedIn : refusedOut).get(reason).increment();
  }

  public double refusedCount(RefusalReason reason, Role role) {
    return (role == Role.SERVER ? refusedIn : refusedOut).get(reason).count();
  }

  public void reset(Http2Error code) {
    resets.computeIfAbsent(code, c -> Counter.builder("sscmic.mux.streams.reset")
        .description("Streams ended by RST_STREAM, sent or received, by HTTP/2 error code")
        .tag("node", node).tag("code", c.name().toLowerCase(Locale.ROOT)).register(registry)).increment();
  }

  void poolConnectionAdded() {
    poolConnections.incrementAndGet();
  }

  void poolConnectionRemoved() {
    poolConnections.decrementAndGet();
  }

  public long poolConnections() {
    return poolConnections.get();
  }

  /** One peer's gauges and counters, per direction. */
  public final class Peer {
    private final String label;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong streamsOut = new AtomicLong();
    private final AtomicLong streamsIn = new AtomicLong();
    private final Counter openedOut;
    private final Counter openedIn;
    private final Counter failedOut;
    private final Counter failedIn;
    private final io.micrometer.core.instrument.Timer answers;

    Peer(String label) {
      this.label = label;
      Gauge.builder("sscmic.mux.connections", connections, AtomicLong::get)
          .description("Open peer connections (authenticated), per peer node").tag("node", node)
          .tag("peer", label).register(registry);
      Gauge.builder("sscmic.mux.streams.active", streamsOut, AtomicLong::get)
          .description("Open streams, per peer node and direction").tag("node", node).tag("peer", label)
          .tag("direction", "outbound").register(registry);
      Gauge.builder("sscmic.mux.streams.active", streamsIn, AtomicLong::get)
          .description("Open streams, per peer node and direction").tag("node", node).tag("peer", label)
          .tag("direction", "inbound").register(registry);
      openedOut = Counter.builder("sscmic.mux.streams.opened").description("Streams opened (accepted)")
          .tag("node", node).tag("peer", label).tag("direction", "outbound").register(registry);
      openedIn = Counter.builder("sscmic.mux.streams.opened").description("Streams opened (accepted)")
          .tag("node", node).tag("peer", label).tag("direction", "inbound").register(registry);
      failedOut = failedCounter(label, "outbound");
      failedIn = failedCounter(label, "inbound");
      // No histogram: count, sum and max per peer (three series) give each edge's mean, as sscmic_peer_handshake.
      answers = io.micrometer.core.instrument.Timer.builder("sscmic.mux.stream.answer")
          .description("From opening a stream to the peer's answer (CONNECT: accepted; request stream: the "
              + "response head), per peer node: the topology's edge latency on tunnel v2")
          .tag("node", node).tag("peer", label).register(registry);
    }

    private Counter failedCounter(String label, String direction) {
      return Counter.builder("sscmic.mux.streams.failed")
          .description("Streams that did not open, per peer node (outbound: the peer could not be reached, or it "
              + "refused or reset the stream before answering; inbound: this node refused it)")
          .tag("node", node).tag("peer", label).tag("direction", direction).register(registry);
    }

    /** A stream with this peer that did not open (see sscmic_mux_streams_failed_total). */
    public void streamFailed(Role role) {
      (role == Role.CLIENT ? failedOut : failedIn).increment();
    }

    /** The peer answered a stream this node opened, {@code nanos} after the open began. */
    void answered(long nanos) {
      answers.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public double failed(Role role) {
      return (role == Role.CLIENT ? failedOut : failedIn).count();
    }

    public String label() {
      return label;
    }

    void connectionOpened() {
      connections.incrementAndGet();
    }

    void connectionClosed() {
      connections.decrementAndGet();
    }

    void streamOpened(Role role) {
      (role == Role.CLIENT ? openedOut : openedIn).increment();
      (role == Role.CLIENT ? streamsOut : streamsIn).incrementAndGet();
    }

    void streamClosed(Role role) {
      (role == Role.CLIENT ? streamsOut : streamsIn).decrementAndGet();
    }

    public long connections() {
      return connections.get();
    }

    public long activeStreams(Role role) {
      return (role == Role.CLIENT ? streamsOut : streamsIn).get();
    }

    public double opened(Role role) {
      return (role == Role.CLIENT ? openedOut : openedIn).count();
    }
  }
}
