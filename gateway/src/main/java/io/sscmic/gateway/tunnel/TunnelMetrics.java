package io.sscmic.gateway.tunnel;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.keysyn.KeyRole;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tunnel's meters. Labels are bounded (direction, reason, key role, node): never an address,
 * an epoch or a key id. Prometheus names: {@code sscmic_tunnel_*}.
 */
public final class TunnelMetrics {
  /** Which side of the tunnel a connection is on. */
  public enum Side {
    OUTBOUND, INBOUND;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<FailureReason, Counter> failures = new EnumMap<>(FailureReason.class);
  private final Map<KeyRole, Counter> keyUse = new EnumMap<>(KeyRole.class);
  private final Map<Side, Counter> opened = new EnumMap<>(Side.class);
  private final Map<Side, Counter> closed = new EnumMap<>(Side.class);
  private final Map<Side, AtomicLong> active = new EnumMap<>(Side.class);
  private final Map<Side, Counter> bytesToTunnel = new EnumMap<>(Side.class);
  private final Map<Side, Counter> bytesFromTunnel = new EnumMap<>(Side.class);
  private final Map<Side, Counter> sealed = new EnumMap<>(Side.class);
  private final Map<Side, Timer> handshakes = new EnumMap<>(Side.class);
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Map<Limit, Counter> limitHits = new EnumMap<>(Limit.class);

  /** Which tunnel limit refused a connection as {@code overloaded}. */
  public enum Limit {
    MAX_CONNECTIONS, HANDSHAKE_RATE, MAX_CONNECTIONS_PER_PEER,
    /** The pool of connections still in their handshake (as large as max-connections) is full. */
    MAX_HANDSHAKES,
    /** One source holds tunnel.max-handshakes-per-source unauthenticated connections. */
    MAX_HANDSHAKES_PER_SOURCE;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
  private final PeerMetrics peers;

  /**
   * Bucket bounds of the handshake histograms (v1 and v2), 1 ms to 10 s: 13 buckets and +Inf,
   * where Micrometer's percentile histogram gave each series 61 to 69.
   */
  public static Duration[] handshakeBuckets() {
    return java.util.stream.LongStream.of(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000)
        .mapToObj(Duration::ofMillis).toArray(Duration[]::new);
  }

  public TunnelMetrics(MeterRegistry registry, String node) {
    peers = new PeerMetrics(registry, node);
    for (FailureReason r : FailureReason.values()) {
      failures.put(r, Counter.builder("sscmic.tunnel.failures")
          .description("Refused hellos and torn-down streams, by reason")
          .tag("node", node).tag("reason", r.label()).register(registry));
    }
    for (KeyRole role : KeyRole.values()) {
      keyUse.put(role, Counter.builder("sscmic.tunnel.frames.opened")
          .description("Frames authenticated and decrypted, by the key their epoch header selected")
          .tag("node", node).tag("key", role.name().toLowerCase(Locale.ROOT)).register(registry));
    }
    for (Side s : Side.values()) {
      opened.put(s, Counter.builder("sscmic.tunnel.connections.opened")
          .description("Tunnel streams established (outbound: from a local application; inbound: to a local service)")
          .tag("node", node)
          .tag("direction", s.tag()).register(registry));
      closed.put(s, Counter.builder("sscmic.tunnel.connections.closed")
          .description("Tunnel streams ended, cleanly or not").tag("node", node)
          .tag("direction", s.tag()).register(registry));
      AtomicLong a = new AtomicLong();
      active.put(s, a);
      Gauge.builder("sscmic.tunnel.connections.active", a, AtomicLong::get)
          .description("Tunnel streams open now").tag("node", node)
          .tag("direction", s.tag()).register(registry);
      bytesToTunnel.put(s, Counter.builder("sscmic.tunnel.plaintext.sent").baseUnit("bytes")
          .description("Plaintext bytes sealed into the tunnel").tag("node", node).tag("direction", s.tag())
          .register(registry));
      sealed.put(s, Counter.builder("sscmic.tunnel.frames.sealed")
          .description("Frames sealed into the tunnel (DATA, END, ERROR)").tag("node", node).tag("direction", s.tag())
          .register(registry));
      handshakes.put(s, Timer.builder("sscmic.tunnel.handshake")
          .description("From the local accept (outbound) or tunnel accept (inbound) to an established stream")
          .tag("node", node).tag("direction", s.tag())
          .serviceLevelObjectives(handshakeBuckets())
          .register(registry));
      bytesFromTunnel.put(s, Counter.builder("sscmic.tunnel.plaintext.received").baseUnit("bytes")
          .description("Plaintext bytes opened from the tunnel").tag("node", node).tag("direction", s.tag())
          .register(registry));
    }
    for (Limit l : Limit.values()) {
      limitHits.put(l, Counter.builder("sscmic.tunnel.limit.hits")
          .description("Inbound connections refused as overloaded, by the limit that refused them")
          .tag("node", node).tag("limit", l.tag()).register(registry));
    }
    Gauge.builder("sscmic.tunnel.write.queue", queuedBytes, AtomicLong::get).baseUnit("bytes")
        .description("Bytes written to sockets and not yet handed to the kernel")
        .tag("node", node).register(registry);
  }

  /** The per-peer figures ({@code sscmic_peer_*}). */
  public PeerMetrics peers() {
    return peers;
  }

  public void failure(FailureReason reason) {
    failures.get(reason).increment();
  }

  /** A refusal as {@code overloaded}: counted under that reason and under the limit that made it. */
  public void limitHit(Limit limit) {
    failure(FailureReason.OVERLOADED);
    limitHits.get(limit).increment();
  }

  public double limitHits(Limit limit) {
    return limitHits.get(limit).count();
  }

  public double failures(FailureReason reason) {
    return failures.get(reason).count();
  }

  /** Failures of every reason. */
  public double failures() {
    return failures.values().stream().mapToDouble(c -> c.count()).sum();
  }

  /** Streams established on this side so far. */
  public double streamsOpened(Side side) {
    return opened.get(side).count();
  }

  void opened(Side side) {
    opened.get(side).increment();
    active.get(side).incrementAndGet();
  }

  void closed(Side side) {
    closed.get(side).increment();
    active.get(side).decrementAndGet();
  }

  public long active(Side side) {
    return active.get(side).get();
  }

  void frameSealed(Side side) {
    sealed.get(side).increment();
  }

  public double framesSealed(Side side) {
    return sealed.get(side).count();
  }

  void handshake(Side side, long startNanos) {
    handshakes.get(side).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  public long handshakes(Side side) {
    return handshakes.get(side).count();
  }

  void frameOpened(KeyRole role) {
    keyUse.get(role).increment();
  }

  public double framesOpened(KeyRole role) {
    return keyUse.get(role).count();
  }

  void sent(Side side, int bytes) {
    bytesToTunnel.get(side).increment(bytes);
  }

  void received(Side side, int bytes) {
    bytesFromTunnel.get(side).increment(bytes);
  }

  /** Bytes queued in user space for all sockets of this sidecar (bounded by back-pressure). */
  public long queuedBytes() {
    return queuedBytes.get();
  }

  void queued(long delta) {
    queuedBytes.addAndGet(delta);
  }
}
