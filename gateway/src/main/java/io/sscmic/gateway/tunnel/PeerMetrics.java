package io.sscmic.gateway.tunnel;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.frame.FailureReason;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-peer figures: bytes, open streams and failures for each peer sidecar, as meters with a
 * {@code peer} label ({@code sscmic_peer_*}) and as a snapshot for {@code /status}.
 *
 * <p>The label is the peer's address as configured ({@code host:port} of its tunnel listener, for
 * outbound listeners and HTTP-mode peers) or, for inbound streams, the source host of a hello
 * that proved mesh membership. Unauthenticated connections never create a label. At most
 * {@link #MAX_PEERS} labels exist per node; further peers are folded into {@value #OTHER}, so
 * the number of series stays bounded whatever connects. Thread-safe: listeners of several
 * verticles (and, across a config reload, of two generations) share one instance.
 */
public final class PeerMetrics {
  /** Distinct peer labels per node, {@value #OTHER} included. */
  public static final int MAX_PEERS = 64;
  /** The label of peers beyond {@link #MAX_PEERS}. */
  public static final String OTHER = BoundedLabels.OTHER;
  /** Recent failures kept per peer for the dashboard. */
  static final int RECENT = 5;

  private final MeterRegistry registry;
  private final String node;
  private final BoundedLabels<Peer> peers = new BoundedLabels<>(MAX_PEERS, Peer::new);

  PeerMetrics(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
  }

  /** A peer named in this node's configuration (an outbound or HTTP-mode peer address). */
  public Peer configured(String address) {
    return labelled(address);
  }

  /** The source host of an inbound stream whose hello verified. */
  public Peer inbound(String host) {
    return labelled(host);
  }

  private Peer labelled(String label) {
    return peers.get(label);
  }

  /** Every labelled peer, by label. */
  public List<Peer> all() {
    List<Peer> list = new ArrayList<>(peers.all());
    list.sort(Comparator.comparing(Peer::label));
    return list;
  }

  /** What the node knows about a peer: health from the last handshake, and its counts. */
  public enum Health {
    /** No handshake yet. */
    UNKNOWN,
    /** The last handshake with it succeeded. */
    HEALTHY,
    /** The last handshake with it failed. */
    FAILING;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A recent failure: when (Unix millis) and why. */
  public record RecentFailure(long atMillis, FailureReason reason) {
  }

  /** One peer's meters and recent history. */
  public final class Peer {
    private final String label;
    private final Counter sent;
    private final Counter received;
    private final Counter opened;
    private final Timer handshakes;
    private final AtomicLong active = new AtomicLong();
    private final Map<FailureReason, Counter> failures = new EnumMap<>(FailureReason.class);
    private final ArrayDeque<RecentFailure> recent = new ArrayDeque<>();
    private Health health = Health.UNKNOWN;

    private Peer(String label) {
      this.label = label;
      sent = Counter.builder("sscmic.peer.bytes").baseUnit("bytes")
          .description("Plaintext bytes carried to (sent) and from (received) a peer sidecar")
          .tag("node", node).tag("peer", label).tag("direction", "sent").register(registry);
      received = Counter.builder("sscmic.peer.bytes").baseUnit("bytes")
          .description("Plaintext bytes carried to (sent) and from (received) a peer sidecar")
          .tag("node", node).tag("peer", label).tag("direction", "received").register(registry);
      opened = Counter.builder("sscmic.peer.connections.opened")
          .description("Tunnel streams established with a peer sidecar")
          .tag("node", node).tag("peer", label).register(registry);
      // No histogram: count, sum and max per peer (three series, not fifteen) give each edge's mean.
      handshakes = Timer.builder("sscmic.peer.handshake")
          .description("From the accept to an established stream with a peer sidecar (the topology's edge latency)")
          .tag("node", node).tag("peer", label).register(registry);
      Gauge.builder("sscmic.peer.connections", active, AtomicLong::get)
          .description("Tunnel streams open now with a peer sidecar")
          .tag("node", node).tag("peer", label).register(registry);
    }

    public String label() {
      return label;
    }

    void handshook(long nanos) {
      handshakes.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void opened() {
      opened.increment();
      active.incrementAndGet();
      synchronized (this) {
        health = Health.HEALTHY;
      }
    }

    void closed() {
      active.decrementAndGet();
    }

    void sent(int bytes) {
      sent.increment(bytes);
    }

    void received(int bytes) {
      received.increment(bytes);
    }

    /** A handshake with the peer failed (unreachable, refused, timed out): it is now failing. */
    public void handshakeFailed(FailureReason reason) {
      synchronized (this) {
        health = Health.FAILING;
      }
      streamFailed(reason);
    }

    /** An established stream with the peer broke: counted and listed, health unchanged. */
    public void streamFailed(FailureReason reason) {
      Counter c;
      synchronized (this) {
        recent.addFirst(new RecentFailure(System.currentTimeMillis(), reason));
        while (recent.size() > RECENT) {
          recent.removeLast();
        }
        c = failures.computeIfAbsent(reason, r -> Counter.builder("sscmic.peer.failures")
            .description("Failed handshakes and torn-down streams with a peer sidecar, by reason")
            .tag("node", node).tag("peer", label).tag("reason", r.label()).register(registry));
      }
      c.increment();
    }

    public double bytesSent() {
      return sent.count();
    }

    public double bytesReceived() {
      return received.count();
    }

    public double connectionsOpened() {
      return opened.count();
    }

    public long connections() {
      return active.get();
    }

    public synchronized Health health() {
      return health;
    }

    public synchronized double failures() {
      return failures.values().stream().mapToDouble(Counter::count).sum();
    }

    /** Newest first, at most {@value PeerMetrics#RECENT}. */
    public synchronized List<RecentFailure> recentFailures() {
      return List.copyOf(recent);
    }
  }
}
