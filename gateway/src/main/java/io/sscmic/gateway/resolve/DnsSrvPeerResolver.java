package io.sscmic.gateway.resolve;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.SrvRecord;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Endpoints from DNS SRV records: service NAME is {@code _NAME._tcp.DOMAIN}, each record a peer
 * sidecar's tunnel listener (target:port). Only the records of the lowest priority are used (SRV's
 * rule: higher priorities are fallbacks). Every watched service is asked again every
 * {@code refresh}; a failed query keeps the last answer (DNS being down is not the service being
 * gone), an answer of no records (NXDOMAIN) empties the set. DNS gives no node ids.
 */
public final class DnsSrvPeerResolver implements PeerResolver {
  private static final Logger LOG = Logger.getLogger(DnsSrvPeerResolver.class.getName());

  private final Vertx vertx;
  private final DnsClient dns;
  private final String domain;
  private final Duration refresh;
  private final Watchers watchers = new Watchers();
  private final Map<String, Boolean> failing = new ConcurrentHashMap<>();
  private final long timer;

  /** @param server the DNS server to ask, or null for the system's */
  public DnsSrvPeerResolver(Vertx vertx, SocketAddress server, String domain, Duration refresh) {
    this.vertx = vertx;
    DnsClientOptions options = new DnsClientOptions().setQueryTimeout(5000);
    if (server != null) {
      options.setHost(server.host()).setPort(server.port());
    }
    this.dns = vertx.createDnsClient(options);
    this.domain = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    this.refresh = refresh;
    this.timer = vertx.setPeriodic(refresh.toMillis(), t -> watchers.watched().forEach(this::query));
  }

  @Override
  public String kind() {
    return "dns";
  }

  /** The SRV name asked for {@code service}. */
  public String name(String service) {
    return "_" + service + "._tcp." + domain;
  }

  /** Asks now for {@code service}, publishing the answer to its watches. */
  public Future<List<Endpoint>> query(String service) {
    return dns.resolveSRV(name(service)).map(records -> {
      List<Endpoint> set = endpoints(records);
      if (failing.remove(service) != null) {
        LOG.info(() -> "dns: " + name(service) + " answers again: " + set);
      }
      watchers.publish(service, set);
      return set;
    }).recover(e -> {
      if (isNoSuchName(e)) {
        watchers.publish(service, List.of());
        return Future.succeededFuture(List.of());
      }
      if (failing.put(service, true) == null) {
        LOG.warning(() -> "dns: cannot resolve " + name(service) + ": " + e.getMessage() + "; keeping the last "
            + "answer " + watchers.get(service) + " and asking again every " + refresh.toMillis() + " ms");
      }
      return Future.failedFuture(e);
    });
  }

  private static boolean isNoSuchName(Throwable e) {
    return e instanceof io.vertx.core.dns.DnsException d && d.code() == io.vertx.core.dns.DnsResponseCode.NXDOMAIN;
  }

  static List<Endpoint> endpoints(List<SrvRecord> records) {
    int best = records.stream().mapToInt(SrvRecord::priority).min().orElse(0);
    List<Endpoint> set = new ArrayList<>();
    records.stream().filter(r -> r.priority() == best)
        .sorted(Comparator.comparing(SrvRecord::target).thenComparingInt(SrvRecord::port))
        .forEach(r -> {
          String host = r.target().endsWith(".") ? r.target().substring(0, r.target().length() - 1) : r.target();
          Endpoint e = new Endpoint(host, r.port(), null);
          if (!set.contains(e)) {
            set.add(e);
          }
        });
    return set;
  }

  @Override
  public EndpointWatch watch(String service, Consumer<List<Endpoint>> onChange) {
    boolean first = !watchers.watched().contains(service);
    EndpointWatch w = watchers.open(service, onChange);
    if (first) {
      query(service);
    }
    return w;
  }

  @Override
  public List<Endpoint> endpoints(String service) {
    return watchers.get(service);
  }

  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
