package io.sscmic.gateway.config;

import static io.sscmic.gateway.config.NodeKeys.ADMIN_LISTEN;
import static io.sscmic.gateway.config.NodeKeys.ADMIN_PASSWORD_HASH;
import static io.sscmic.gateway.config.NodeKeys.ADMIN_TLS_CERT_FILE;
import static io.sscmic.gateway.config.NodeKeys.ADMIN_TLS_KEY_FILE;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_CA_FILE;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_RECOVERY;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_REFRESH;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_STATE_DIR;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_TOKEN_ENV;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_TOKEN_FILE;
import static io.sscmic.gateway.config.NodeKeys.AUTHORITY_URL;

import io.sscmic.admin.AdminTls;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.sscmic.gateway.http.ListenerLimits;
import io.sscmic.gateway.http.upstream.RetryBudget;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.intercept.DestinationMatch;
import io.sscmic.gateway.intercept.InterceptConfig;
import io.sscmic.gateway.intercept.InterceptRoute;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the merged config tree (YAML file plus environment overrides) into a {@link NodeConfig},
 * refusing unknown keys and bad values with a message that names the key. Which keys exist, how
 * each is parsed and its default come from {@link NodeKeys}; this class puts the values into
 * their sections and checks what spans keys (a seed or an authority, services need a listener...).
 */
public final class NodeConfigParser {
  private NodeConfigParser() {
  }

  public static NodeConfig parse(JsonObject root) {
    ConfigTree t = ConfigTree.of(root, NodeKeys.ALL);
    NodeSection node = new NodeSection(t.get(NodeKeys.NODE_ID));
    Instant genesis = t.get(NodeKeys.KEYSYN_GENESIS);
    Duration interval = t.get(NodeKeys.KEYSYN_INTERVAL);
    Path seedFile = t.get(NodeKeys.KEYSYN_SEED_FILE);
    String seedEnv = t.get(NodeKeys.KEYSYN_SEED_ENV);
    if (seedFile != null && seedEnv != null) {
      throw new ConfigException("keysyn.seed-file", "set only one of keysyn.seed-file or keysyn.seed-env");
    }
    SeedSource seed = seedFile != null ? SeedSource.file(seedFile)
        : seedEnv != null ? SeedSource.env(seedEnv) : null;
    AuthorityRecovery.Settings authority = t.has("authority") ? authority(t) : null;
    if (authority == null && seed == null) {
      throw new ConfigException("keysyn.seed-file", "set keysyn.seed-file or keysyn.seed-env (the seed itself "
          + "never goes in the config file), or configure an authority section to recover keys from");
    }
    if (authority != null && authority.method() == AuthorityRecovery.Method.SEALED_STATE && seed != null) {
      throw new ConfigException(seedFile != null ? "keysyn.seed-file" : "keysyn.seed-env", "with recovery method 2 "
          + "(the default) the seed stays off this node: remove it, or set authority.recovery: method1");
    }
    if (authority != null && authority.method() == AuthorityRecovery.Method.EPOCH_ONLY && seed == null) {
      throw new ConfigException("keysyn.seed-file", "authority.recovery: method1 recomputes keys from the seed: "
          + "set keysyn.seed-file or keysyn.seed-env");
    }
    TunnelSection tunnel = new TunnelSection(t.get(NodeKeys.TUNNEL_LISTEN), t.get(NodeKeys.TUNNEL_CIPHER),
        t.get(NodeKeys.TUNNEL_PROVIDER), t.get(NodeKeys.TUNNEL_CONNECT_TIMEOUT),
        t.get(NodeKeys.TUNNEL_HANDSHAKE_TIMEOUT), new TunnelLimits(t.get(NodeKeys.TUNNEL_MAX_CONNECTIONS),
            t.get(NodeKeys.TUNNEL_HANDSHAKE_RATE), t.get(NodeKeys.TUNNEL_IDLE_TIMEOUT),
            t.get(NodeKeys.TUNNEL_MAX_CONNECTIONS_PER_PEER), t.get(NodeKeys.TUNNEL_MAX_HANDSHAKES_PER_SOURCE)),
        t.get(NodeKeys.TUNNEL_EVENT_LOOPS));
    Map<String, SocketAddress> services = services(t);
    if (!services.isEmpty() && tunnel.listen() == null) {
      throw new ConfigException("tunnel.listen", "required when services are configured");
    }
    List<OutboundRoute> outbound = new ArrayList<>();
    List<JsonObject> items = items(t.raw("outbound"), "outbound", NodeKeys.ALL);
    for (int i = 0; i < items.size(); i++) {
      String base = "outbound[" + i + "]";
      JsonObject o = items.get(i);
      String service = NodeKeys.OUTBOUND_SERVICE.parse(base + ".service", o.getValue("service"));
      outbound.add(new OutboundRoute(NodeKeys.OUTBOUND_LISTEN.parse(base + ".listen", o.getValue("listen")), service,
          NodeKeys.OUTBOUND_PEER.parse(base + ".peer", o.getValue("peer")),
          NodeKeys.OUTBOUND_PEER_NODE.parse(base + ".peer-node", o.getValue("peer-node"))));
    }
    HttpModeConfig http = t.has("http") ? http(t) : null;
    InterceptConfig intercept = t.has("intercept") ? intercept(t, outbound, http, authority, tunnel.listen()) : null;
    DiscoverySection discovery = discovery(t, authority);
    if (discovery.resolver() == DiscoverySection.Resolver.AUTHORITY && authority == null) {
      for (int i = 0; i < outbound.size(); i++) {
        if (outbound.get(i).peer() == null) {
          throw new ConfigException("outbound[" + i + "].peer", "required without an authority (a service is "
              + "resolved by name through the authority's registry, or set resolve.resolver: dns)");
        }
      }
      if (http != null) {
        http.services().forEach((name, peers) -> {
          if (peers.isEmpty()) {
            throw new ConfigException("http.services." + name, "required: one or more peer sidecars host:port "
                + "(an empty list resolves by name, which needs an authority or resolve.resolver: dns)");
          }
        });
      }
    }
    if (services.isEmpty() && outbound.isEmpty() && http == null && intercept == null) {
      throw new ConfigException("services", "nothing to do: configure services (inbound), outbound listeners, an "
          + "http listener or intercept.outbound");
    }
    TunnelV2Section v2 = new TunnelV2Section(t.get(NodeKeys.TUNNEL_VERSION), t.get(NodeKeys.TUNNEL_POLICY_FILE),
        t.get(NodeKeys.TUNNEL_IDENTITY_DIR), t.get(NodeKeys.TUNNEL_POOL_SIZE), t.get(NodeKeys.TUNNEL_POOL_IDLE_TIMEOUT),
        t.get(NodeKeys.TUNNEL_MAX_CONCURRENT_STREAMS), t.get(NodeKeys.TUNNEL_STREAM_WINDOW));
    if (v2.version() == TunnelVersion.V2 && authority == null && v2.identityDir() == null) {
      throw new ConfigException("tunnel.version", "v2 authenticates nodes by their certificates: configure an "
          + "authority section (the node enrolls for one) or tunnel.identity-dir, or dial v1");
    }
    AdminSection admin = new AdminSection(t.get(ADMIN_LISTEN).orElse(null), t.get(ADMIN_PASSWORD_HASH),
        t.has("admin.tls") ? new AdminTls(required(t, ADMIN_TLS_CERT_FILE), required(t, ADMIN_TLS_KEY_FILE)) : null);
    java.net.URI otlp = t.get(NodeKeys.TRACING_OTLP_ENDPOINT);
    TracingSection tracing = otlp == null ? null : new TracingSection(otlp, t.get(NodeKeys.TRACING_SAMPLE_RATIO),
        t.get(NodeKeys.TRACING_HTTP_SERVICES));
    if (tracing != null) {
      for (String name : tracing.httpServices()) {
        if (!services.containsKey(name)) {
          throw new ConfigException("tracing.http-services", "'" + name + "' is not in services " + services.keySet());
        }
      }
    }
    return new NodeConfig(node, new KeysynSection(genesis, interval, seed), authority, tunnel, admin, services,
        outbound, http, intercept, discovery, v2, tracing);
  }

  /**
   * The intercept section. The sidecar's own destinations (peers of every kind, the authority)
   * are gathered here so the rules never capture the sidecar's own connections.
   */
  private static InterceptConfig intercept(ConfigTree t, List<OutboundRoute> outbound, HttpModeConfig http,
                                           AuthorityRecovery.Settings authority, SocketAddress tunnelListen) {
    List<InterceptRoute> routes = new ArrayList<>();
    List<JsonObject> items = items(t.raw("intercept.outbound"), "intercept.outbound", NodeKeys.ALL);
    for (int i = 0; i < items.size(); i++) {
      String base = "intercept.outbound[" + i + "]";
      JsonObject o = items.get(i);
      DestinationMatch match = DestinationMatch.parse(base + ".match",
          NodeKeys.INTERCEPT_OUTBOUND_MATCH.parse(base + ".match", o.getValue("match")));
      routes.add(new InterceptRoute(match, NodeKeys.INTERCEPT_OUTBOUND_SERVICE.parse(base + ".service",
          o.getValue("service")), NodeKeys.INTERCEPT_OUTBOUND_PEER.parse(base + ".peer", o.getValue("peer"))));
    }
    List<InterceptConfig.RegistryCapture> registry = new ArrayList<>();
    List<JsonObject> fromRegistry = items(t.raw("intercept.registry"), "intercept.registry", NodeKeys.ALL);
    for (int i = 0; i < fromRegistry.size(); i++) {
      String base = "intercept.registry[" + i + "]";
      JsonObject o = fromRegistry.get(i);
      registry.add(new InterceptConfig.RegistryCapture(
          NodeKeys.INTERCEPT_REGISTRY_SERVICE.parse(base + ".service", o.getValue("service")),
          NodeKeys.INTERCEPT_REGISTRY_PORT.parse(base + ".port", o.getValue("port"))));
    }
    java.util.Set<Integer> inbound = t.get(NodeKeys.INTERCEPT_INBOUND_PORTS);
    if (routes.isEmpty() && registry.isEmpty() && inbound.isEmpty()) {
      throw new ConfigException("intercept.outbound", "required with an intercept section (unless "
          + "intercept.registry or intercept.inbound-ports is set): the destinations to capture, e.g. "
          + "[{match: 10.1.0.5:6379, service: redis, peer: 10.1.0.5:7443}]");
    }
    if (tunnelListen != null && inbound.contains(tunnelListen.port())) {
      throw new ConfigException("intercept.inbound-ports", "holds the tunnel port " + tunnelListen.port()
          + ": peers could no longer reach this sidecar");
    }
    SocketAddress listen = t.get(NodeKeys.INTERCEPT_LISTEN);
    if (listen.hostAddress() == null || !listen.hostAddress().matches("\\d+(\\.\\d+){3}")) {
      throw new ConfigException("intercept.listen", "an IPv4 address and port, e.g. 127.0.0.1:15001 (the TPROXY "
          + "rule names it)");
    }
    List<SocketAddress> own = new ArrayList<>();
    routes.forEach(r -> own.add(r.peer()));
    outbound.stream().filter(r -> r.peer() != null).forEach(r -> own.add(r.peer()));
    if (http != null) {
      http.services().values().forEach(own::addAll);
    }
    if (authority != null) {
      authority.addresses().forEach(a -> own.add(SocketAddress.inetSocketAddress(a.port(), a.host())));
    }
    return new InterceptConfig(listen, t.get(NodeKeys.INTERCEPT_MANAGE_RULES), t.get(NodeKeys.INTERCEPT_MARK),
        t.get(NodeKeys.INTERCEPT_ROUTE_TABLE), t.get(NodeKeys.INTERCEPT_EXCLUDE_UID),
        t.get(NodeKeys.INTERCEPT_DETECT_TIMEOUT), t.get(NodeKeys.INTERCEPT_SERVER_FIRST_PORTS), routes,
        own.stream().distinct().toList(), inbound, registry);
  }

  private static DiscoverySection discovery(ConfigTree t, AuthorityRecovery.Settings authority) {
    DiscoverySection.Resolver resolver = t.get(NodeKeys.RESOLVE_RESOLVER);
    String domain = t.get(NodeKeys.RESOLVE_DNS_DOMAIN);
    if (resolver == DiscoverySection.Resolver.DNS && (domain == null || domain.isBlank())) {
      throw new ConfigException("resolve.dns.domain", "required with resolve.resolver: dns (SRV names are "
          + "_NAME._tcp.<domain>)");
    }
    java.nio.file.Path cache = t.get(NodeKeys.RESOLVE_CACHE_FILE);
    if (cache == null && authority != null) {
      cache = authority.stateDir().resolve(DiscoverySection.CACHE_FILE);
    }
    return new DiscoverySection(resolver, t.get(NodeKeys.RESOLVE_DNS_SERVER), domain,
        t.get(NodeKeys.RESOLVE_DNS_REFRESH), cache, t.get(NodeKeys.TUNNEL_ADVERTISE));
  }

  private static Map<String, SocketAddress> services(ConfigTree t) {
    Map<String, SocketAddress> services = new LinkedHashMap<>();
    Object svc = t.raw("services");
    if (svc != null && !(svc instanceof JsonObject)) {
      throw new ConfigException("services", "expected a map of service name to host:port");
    }
    if (svc != null) {
      JsonObject s = (JsonObject) svc;
      for (String name : s.fieldNames()) {
        String key = "services." + name;
        checkName(name, key);
        services.put(name, NodeKeys.SERVICES.parser().parse(key, s.getValue(name)));
      }
    }
    return services;
  }

  private static HttpModeConfig http(ConfigTree t) {
    SocketAddress listen = required(t, NodeKeys.HTTP_LISTEN);
    Duration timeout = t.get(NodeKeys.HTTP_TIMEOUT);
    int max = t.get(NodeKeys.HTTP_MAX_CONNECTIONS_PER_PEER);
    boolean accessLog = t.get(NodeKeys.HTTP_ACCESS_LOG);
    Object svc = t.raw("http.services");
    if (!(svc instanceof JsonObject) || ((JsonObject) svc).isEmpty()) {
      throw new ConfigException("http.services", "required: a map of service name to its peer sidecars, e.g. "
          + "orders: [10.0.0.7:7443, 10.0.0.8:7443]");
    }
    Map<String, List<SocketAddress>> peers = new LinkedHashMap<>();
    Map<String, ServiceProtocol> protocols = new LinkedHashMap<>();
    Map<String, String> peerNodes = new LinkedHashMap<>();
    for (String name : ((JsonObject) svc).fieldNames()) {
      String key = "http.services." + name;
      checkName(name, key);
      Object v = ((JsonObject) svc).getValue(name);
      String peersKey = key;
      if (v instanceof JsonObject o) {
        // The long form: {peers: [...], protocol: h2c, peer-node: beta}.
        for (String field : o.fieldNames()) {
          if (!field.equals("peers") && !field.equals("protocol") && !field.equals("peer-node")) {
            throw new ConfigException(key + "." + field, "unknown key; expected one of [peers, protocol, peer-node]");
          }
        }
        String peerNode = NodeKeys.HTTP_SERVICE_PEER_NODE.parse(key + ".peer-node", o.getValue("peer-node"));
        if (peerNode != null) {
          peerNodes.put(name.toLowerCase(Locale.ROOT), peerNode);
        }
        ServiceProtocol protocol = NodeKeys.HTTP_SERVICE_PROTOCOL.parse(key + ".protocol", o.getValue("protocol"));
        if (protocol != ServiceProtocol.HTTP1) {
          protocols.put(name.toLowerCase(Locale.ROOT), protocol);
        }
        peersKey = key + ".peers";
        v = o.getValue("peers");
      }
      List<SocketAddress> list = new ArrayList<>();
      // An empty list (or no value) resolves the service by name (resolve.resolver).
      for (Object p : v instanceof JsonArray ? ((JsonArray) v).getList() : v == null ? List.of() : List.of(v)) {
        list.add(NodeKeys.HTTP_SERVICES.parser().parse(peersKey, p));
      }
      peers.put(name.toLowerCase(Locale.ROOT), list);
    }
    List<HttpRoute> routes = new ArrayList<>();
    List<JsonObject> items = items(t.raw("http.routes"), "http.routes", NodeKeys.ALL);
    for (int i = 0; i < items.size(); i++) {
      String base = "http.routes[" + i + "]";
      JsonObject o = items.get(i);
      String service = NodeKeys.HTTP_ROUTE_SERVICE.parse(base + ".service", o.getValue("service"))
          .toLowerCase(Locale.ROOT);
      if (!peers.containsKey(service)) {
        throw new ConfigException(base + ".service", "'" + service + "' is not in http.services " + peers.keySet());
      }
      String prefix = NodeKeys.HTTP_ROUTE_PATH_PREFIX.parse(base + ".path-prefix", o.getValue("path-prefix"));
      HttpRoute route = new HttpRoute(NodeKeys.HTTP_ROUTE_HOST.parse(base + ".host", o.getValue("host")), prefix,
          service, NodeKeys.HTTP_ROUTE_TIMEOUT.parse(base + ".timeout", o.getValue("timeout")),
          NodeKeys.HTTP_ROUTE_NAME.parse(base + ".name", o.getValue("name")));
      for (HttpRoute earlier : routes) {
        if (earlier.name().equals(route.name())) {
          // One label value for two routes would merge their signals into one row and one series.
          throw new ConfigException(base + ".name", "'" + route.name() + "' is already the name of route "
              + routes.indexOf(earlier) + (o.getValue("name") == null ? " (the name derived from host and "
              + "path-prefix: give one of them a name)" : ""));
        }
      }
      routes.add(route);
    }
    String healthPath = t.get(NodeKeys.HTTP_HEALTH_PATH);
    Duration healthInterval = t.get(NodeKeys.HTTP_HEALTH_INTERVAL);
    Duration headerTimeout = t.get(NodeKeys.HTTP_HEADER_TIMEOUT);
    ListenerLimits limits = new ListenerLimits(t.get(NodeKeys.HTTP_MAX_HEADER_SIZE),
        t.get(NodeKeys.HTTP_MAX_INITIAL_LINE_LENGTH), headerTimeout, t.get(NodeKeys.HTTP_IDLE_TIMEOUT),
        t.get(NodeKeys.HTTP_MAX_CLIENT_CONNECTIONS));
    RetryBudget.Settings budget = new RetryBudget.Settings(t.get(NodeKeys.HTTP_RETRY_BUDGET_RATIO),
        t.get(NodeKeys.HTTP_RETRY_BUDGET_MIN_PER_SECOND));
    return new HttpModeConfig(listen, routes, peers, timeout, max, accessLog, healthPath, healthInterval, limits,
        protocols, budget, t.get(NodeKeys.HTTP_H2C), peerNodes);
  }

  private static AuthorityRecovery.Settings authority(ConfigTree t) {
    java.util.List<URI> uris = t.get(AUTHORITY_URL);
    if (uris == null) {
      throw new ConfigException("authority.url", "required: the authority's address, e.g. https://10.0.0.5:8443");
    }
    Path ca = t.get(AUTHORITY_CA_FILE);
    if (ca == null) {
      throw new ConfigException("authority.ca-file", "required: the mesh CA certificate (ca.crt from sscmic init)");
    }
    Path state = t.get(AUTHORITY_STATE_DIR);
    if (state == null) {
      throw new ConfigException("authority.state-dir", "required: where the node keeps its certificate and key, "
          + "e.g. /var/lib/sscmic");
    }
    Path tokenFile = t.get(AUTHORITY_TOKEN_FILE);
    String tokenEnv = t.get(AUTHORITY_TOKEN_ENV);
    if (tokenFile != null && tokenEnv != null) {
      throw new ConfigException("authority.token-file", "set only one of authority.token-file or authority.token-env");
    }
    TokenSource token = tokenFile != null ? TokenSource.file(tokenFile)
        : tokenEnv != null ? TokenSource.env(tokenEnv) : TokenSource.none();
    AuthorityRecovery.Method method = t.get(AUTHORITY_RECOVERY);
    java.util.List<io.sscmic.keysyn.recovery.AuthorityClient.Address> addresses = uris.stream()
        .map(NodeConfigParser::authorityAddress).toList();
    return new AuthorityRecovery.Settings(addresses.get(0).host(), addresses.get(0).port(), ca, state, token, method,
        t.get(AUTHORITY_REFRESH), addresses.subList(1, addresses.size()));
  }

  private static io.sscmic.keysyn.recovery.AuthorityClient.Address authorityAddress(URI uri) {
    String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
        : uri.getHost();
    return new io.sscmic.keysyn.recovery.AuthorityClient.Address(host, uri.getPort() < 0 ? 443 : uri.getPort());
  }

  /** A key whose default is none but that its section requires when present. */
  private static <T> T required(ConfigTree t, ConfigKey<T> key) {
    T value = t.get(key);
    if (value == null) {
      throw new ConfigException(key.name(), "required");
    }
    return value;
  }

  private static void checkName(String name, String key) {
    if (!ValueParsers.NAME.matcher(name).matches()) {
      throw new ConfigException(key, "service names use letters, digits, '.', '_' or '-'");
    }
  }

  /**
   * The items of the list at {@code path} ({@code outbound}, {@code http.routes}), each a map whose
   * keys are those of {@code path[i].*} in the table; an empty list when absent.
   */
  static List<JsonObject> items(Object list, String path, List<? extends ConfigKey<?>> table) {
    List<String> fields = new ArrayList<>();
    for (ConfigKey<?> key : table) {
      if (key.name().startsWith(path + "[i].")) {
        fields.add(key.name().substring(path.length() + 4));
      }
    }
    String shape = "{" + String.join(", ", fields) + "}";
    if (list != null && !(list instanceof JsonArray)) {
      throw new ConfigException(path, "expected a list of " + shape);
    }
    List<JsonObject> items = new ArrayList<>();
    if (list == null) {
      return items;
    }
    JsonArray array = (JsonArray) list;
    for (int i = 0; i < array.size(); i++) {
      String base = path + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject)) {
        throw new ConfigException(base, "expected " + shape);
      }
      JsonObject o = array.getJsonObject(i);
      for (String k : o.fieldNames()) {
        if (!fields.contains(k)) {
          throw new ConfigException(base + "." + k, "unknown key; expected "
              + String.join(", ", fields.subList(0, fields.size() - 1)) + " or " + fields.get(fields.size() - 1));
        }
      }
      items.add(o);
    }
    return items;
  }

  // Helpers the command line parses its options with.

  /** Parses {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT30S}. */
  public static Duration duration(Object v, String key, Duration dflt) {
    if (v == null) {
      if (dflt == null) {
        throw new ConfigException(key, "required: a duration such as 30s, 500ms or 5m");
      }
      return dflt;
    }
    return ValueParsers.duration(key, v);
  }

  public static SocketAddress address(String text, String key) {
    return ValueParsers.address(text, key);
  }
}
