package io.sscmic.gateway.config;

import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Service discovery (issue 17): how services without a static peer are resolved, and what this
 * node registers.
 *
 * @param resolver {@code authority} (the registry; the default with an authority) or {@code dns}
 * @param dnsServer the DNS server for SRV queries, or null for the system's
 * @param dnsDomain SRV names are {@code _SERVICE._tcp.DOMAIN}; required with {@code dns}
 * @param dnsRefresh how often watched SRV names are asked again
 * @param cacheFile where the last registry view is kept, or null for {@code <authority.state-dir>/registry-view.json}
 * @param advertise the tunnel endpoint to register: null derives it (the tunnel listener's host,
 *     or the address the authority sees when that is a wildcard, and its bound port); empty: this
 *     node does not register
 */
public record DiscoverySection(Resolver resolver, SocketAddress dnsServer, String dnsDomain, Duration dnsRefresh,
                               Path cacheFile, Optional<SocketAddress> advertise) {
  public static final Duration DEFAULT_DNS_REFRESH = Duration.ofSeconds(30);
  public static final String CACHE_FILE = "registry-view.json";
  public static final DiscoverySection DEFAULTS = new DiscoverySection(Resolver.AUTHORITY, null, null,
      DEFAULT_DNS_REFRESH, null, null);

  /** Where services without a static peer are looked up. */
  public enum Resolver { AUTHORITY, DNS }

  public DiscoverySection withAdvertise(Optional<SocketAddress> a) {
    return new DiscoverySection(resolver, dnsServer, dnsDomain, dnsRefresh, cacheFile, a);
  }

  public DiscoverySection withCacheFile(Path p) {
    return new DiscoverySection(resolver, dnsServer, dnsDomain, dnsRefresh, p, advertise);
  }
}
