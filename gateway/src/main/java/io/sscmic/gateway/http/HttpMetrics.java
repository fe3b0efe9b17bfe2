package io.sscmic.gateway.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sscmic.gateway.http.upstream.PeerBalancer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Metrics of the HTTP listener: requests by service and outcome, latency, ejections, retries,
 * peer health. Meters are built once per label set and kept, not looked up per request.
 */
final class HttpMetrics {
  private final MeterRegistry registry;
  private final String node;
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Map<String, Counter> ejections = new ConcurrentHashMap<>();
  private final Map<String, Counter> retries = new ConcurrentHashMap<>();
  private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
  private final Map<String, Counter> budgetExhausted = new ConcurrentHashMap<>();

  HttpMetrics(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
  }

  /**
   * @param route the route table line that chose the service (its name), or {@value HttpRoute#NONE}: a
   *     bounded label, the routes being config (never the request's path)
   * @param outcome the status class (2xx..5xx) or the sidecar's own error (no_route, no_peer, timeout, upstream)
   */
  void request(String service, String route, String outcome, Duration took) {
    requests.computeIfAbsent(service + ' ' + route + ' ' + outcome, k -> Counter.builder("sscmic.http.requests")
        .description("HTTP requests through the sidecar by service, route and outcome")
        .tag("node", node).tag("service", service).tag("route", route).tag("outcome", outcome).register(registry))
        .increment();
    durations.computeIfAbsent(service + ' ' + route, k -> Timer.builder("sscmic.http.request.duration")
        .description("From request arrival to the response's end")
        .tag("node", node).tag("service", service).tag("route", route).serviceLevelObjectives(latencyBuckets())
        .register(registry))
        .record(took);
  }

  /**
   * The latency histogram's bucket bounds, 1 ms to 30 s (14 buckets and +Inf, was 69 with
   * Micrometer's percentile histogram): enough for p50/p95/p99 with {@code histogram_quantile} and
   * the dashboard, at a fifth of the series per service.
   */
  static Duration[] latencyBuckets() {
    return java.util.stream.LongStream.of(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000)
        .mapToObj(Duration::ofMillis).toArray(Duration[]::new);
  }

  /**
   * Peer health by service (no address labels): how many peers take traffic now, of how many.
   * Micrometer holds a gauge's object weakly: the gauges sit on the service's balancer, which the
   * listener holds for its whole life (a copy of the peer list would be collected, and the gauges
   * would read NaN after the next garbage collection). A listener that replaces a drained one (an
   * undrain) takes the gauges over: Micrometer would hand back the old gauges, reading the drained
   * listener's balancer, so they are removed and registered again on this one.
   */
  void peerHealth(String service, PeerBalancer balancer) {
    for (String name : List.of("sscmic.http.peers.healthy", "sscmic.http.peers")) {
      registry.find(name).tag("node", node).tag("service", service).meters().forEach(registry::remove);
    }
    Gauge.builder("sscmic.http.peers.healthy", balancer, b -> b.healthy(System.nanoTime()))
        .description("Peers of the service in rotation now (not ejected)").tag("node", node).tag("service", service)
        .register(registry);
    Gauge.builder("sscmic.http.peers", balancer, PeerBalancer::size)
        .description("Peers of the service now (configured or resolved)").tag("node", node).tag("service", service)
        .register(registry);
  }

  void ejected(String service) {
    ejections.computeIfAbsent(service, k -> Counter.builder("sscmic.http.peer.ejections")
        .description("Peers ejected after consecutive failures")
        .tag("node", node).tag("service", service).register(registry)).increment();
  }

  /**
   * @param limit which listener limit a client hit: max_header_size, max_initial_line_length,
   *     header_timeout, idle_timeout, max_client_connections
   */
  void limitHit(String limit) {
    limitHits.computeIfAbsent(limit, k -> Counter.builder("sscmic.http.listener.limit.hits")
        .description("Client connections answered or closed by a limit of the HTTP listener")
        .tag("node", node).tag("limit", limit).register(registry)).increment();
  }

  void retried(String service) {
    retries.computeIfAbsent(service, k -> Counter.builder("sscmic.http.retries")
        .description("Requests retried on another peer (safe ones only, within the retry budget)")
        .tag("node", node).tag("service", service).register(registry)).increment();
  }

  /** A retry that was safe but refused: the service's retry budget was spent (http.retry-budget.*). */
  void retryBudgetExhausted(String service) {
    budgetExhausted.computeIfAbsent(service, k -> Counter.builder("sscmic.http.retry.budget.exhausted")
        .description("Retries not made because the service's retry budget was spent")
        .tag("node", node).tag("service", service).register(registry)).increment();
  }
}
