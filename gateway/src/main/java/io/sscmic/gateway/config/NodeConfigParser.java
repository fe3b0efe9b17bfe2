package io.sscmic.gateway.config;

import io.sscmic.admin.AdminTls;
import io.sscmic.admin.ui.PasswordHash;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.sscmic.gateway.http.ListenerLimits;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import io.sscmic.keysyn.recovery.TokenSource;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the merged config tree (YAML file plus environment overrides) into a {@link NodeConfig},
 * refusing unknown keys and bad values with a message that names the key.
 */
public final class NodeConfigParser {
  private static final Set<String> TOP = Set.of("node", "keysyn", "tunnel", "services", "outbound", "admin",
      "authority", "http");
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  /** Below this interval claim 2 (network delay much smaller than the interval) gets fragile. */
  public static final Duration MIN_INTERVAL = Duration.ofMillis(10);

  private NodeConfigParser() {
  }

  public static NodeConfig parse(JsonObject root) {
    for (String key : root.fieldNames()) {
      if (!TOP.contains(key)) {
        throw new ConfigException(key, "unknown key; expected one of " + TOP);
      }
    }
    JsonObject node = section(root, "node", Set.of("id"));
    JsonObject keysyn = section(root, "keysyn", Set.of("genesis", "interval", "seed-file", "seed-env"));
    JsonObject tunnel = section(root, "tunnel", Set.of("listen", "cipher", "provider", "connect-timeout",
        "handshake-timeout", "max-connections", "handshake-rate", "idle-timeout", "max-connections-per-peer",
        "max-handshakes-per-source"));
    JsonObject admin = section(root, "admin", Set.of("listen", "password-hash", "tls"));
    JsonObject authoritySection = section(root, "authority", Set.of("url", "ca-file", "state-dir", "token-file",
        "token-env", "recovery", "refresh"));

    String nodeId = string(node, "node.id", "id", null);
    if (nodeId == null || !SERVICE_NAME.matcher(nodeId).matches()) {
      throw new ConfigException("node.id", "required: letters, digits, '.', '_' or '-', at most 63 characters");
    }
    Instant genesis = instant(keysyn.getValue("genesis"), "keysyn.genesis");
    Duration interval = duration(keysyn.getValue("interval"), "keysyn.interval", null);
    if (interval.compareTo(MIN_INTERVAL) < 0) {
      throw new ConfigException("keysyn.interval", "must be at least " + MIN_INTERVAL.toMillis() + "ms");
    }
    String seedFile = string(keysyn, "keysyn.seed-file", "seed-file", null);
    String seedEnv = string(keysyn, "keysyn.seed-env", "seed-env", null);
    if (seedFile != null && seedEnv != null) {
      throw new ConfigException("keysyn.seed-file", "set only one of keysyn.seed-file or keysyn.seed-env");
    }
    SeedSource seed = seedFile != null ? SeedSource.file(Path.of(seedFile))
        : seedEnv != null ? SeedSource.env(seedEnv) : null;
    AuthorityRecovery.Settings authority = root.containsKey("authority") ? authority(authoritySection) : null;
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

    CipherSuite cipher;
    try {
      cipher = CipherSuite.parse(string(tunnel, "tunnel.cipher", "cipher", "aes-256-gcm"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("tunnel.cipher", e.getMessage());
    }
    AeadProvider provider;
    String providerText = string(tunnel, "tunnel.provider", "provider", AeadProvider.defaultProvider().name());
    try {
      provider = AeadProvider.valueOf(providerText.trim().toUpperCase().replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("tunnel.provider", "expected jdk or bouncy-castle, got '" + providerText + "'");
    }
    String listen = string(tunnel, "tunnel.listen", "listen", null);
    SocketAddress tunnelListen = listen == null ? null : address(listen, "tunnel.listen");
    Duration connectTimeout = duration(tunnel.getValue("connect-timeout"), "tunnel.connect-timeout",
        NodeConfig.DEFAULT_CONNECT_TIMEOUT);
    Duration handshakeTimeout = duration(tunnel.getValue("handshake-timeout"), "tunnel.handshake-timeout",
        NodeConfig.DEFAULT_HANDSHAKE_TIMEOUT);

    Map<String, SocketAddress> services = new LinkedHashMap<>();
    Object svc = root.getValue("services");
    if (svc != null && !(svc instanceof JsonObject)) {
      throw new ConfigException("services", "expected a map of service name to host:port");
    }
    if (svc != null) {
      JsonObject s = (JsonObject) svc;
      for (String name : s.fieldNames()) {
        String key = "services." + name;
        if (!SERVICE_NAME.matcher(name).matches()) {
          throw new ConfigException(key, "service names use letters, digits, '.', '_' or '-'");
        }
        services.put(name, address(String.valueOf(s.getValue(name)), key));
      }
    }
    if (!services.isEmpty() && tunnelListen == null) {
      throw new ConfigException("tunnel.listen", "required when services are configured");
    }

    List<OutboundRoute> outbound = new ArrayList<>();
    Object out = root.getValue("outbound");
    if (out != null && !(out instanceof JsonArray)) {
      throw new ConfigException("outbound", "expected a list of {listen, service, peer}");
    }
    if (out != null) {
      JsonArray list = (JsonArray) out;
      for (int i = 0; i < list.size(); i++) {
        String base = "outbound[" + i + "]";
        if (!(list.getValue(i) instanceof JsonObject)) {
          throw new ConfigException(base, "expected {listen, service, peer}");
        }
        JsonObject o = list.getJsonObject(i);
        for (String k : o.fieldNames()) {
          if (!Set.of("listen", "service", "peer").contains(k)) {
            throw new ConfigException(base + "." + k, "unknown key; expected listen, service or peer");
          }
        }
        String service = string(o, base + ".service", "service", null);
        if (service == null || !SERVICE_NAME.matcher(service).matches()) {
          throw new ConfigException(base + ".service", "required: the service name known to the peer");
        }
        outbound.add(new OutboundRoute(
            address(required(o, base + ".listen", "listen"), base + ".listen"),
            service,
            address(required(o, base + ".peer", "peer"), base + ".peer")));
      }
    }
    HttpModeConfig http = root.containsKey("http") ? http(root) : null;
    if (services.isEmpty() && outbound.isEmpty() && http == null) {
      throw new ConfigException("services", "nothing to do: configure services (inbound), outbound listeners or an "
          + "http listener");
    }
    String adminText = string(admin, "admin.listen", "listen", null);
    SocketAddress adminListen = adminText == null ? NodeConfig.DEFAULT_ADMIN_LISTEN
        : adminText.equalsIgnoreCase("none") ? null : address(adminText, "admin.listen");
    return new NodeConfig(nodeId, genesis, interval, seed, cipher, provider, tunnelListen, services, outbound,
        connectTimeout, handshakeTimeout, adminListen, authority, http, new TunnelLimits(
            positive(tunnel, "tunnel.max-connections", "max-connections", TunnelLimits.DEFAULTS.maxConnections()),
            positive(tunnel, "tunnel.handshake-rate", "handshake-rate",
                TunnelLimits.DEFAULTS.handshakesPerSecondPerSource()),
            duration(tunnel.getValue("idle-timeout"), "tunnel.idle-timeout", TunnelLimits.DEFAULT_IDLE_TIMEOUT),
            positive(tunnel, "tunnel.max-connections-per-peer", "max-connections-per-peer",
                TunnelLimits.DEFAULT_MAX_CONNECTIONS_PER_PEER),
            positive(tunnel, "tunnel.max-handshakes-per-source", "max-handshakes-per-source",
                TunnelLimits.DEFAULT_MAX_HANDSHAKES_PER_SOURCE)),
        adminPasswordHash(admin), adminTls(admin));
  }

  /** {@code admin.tls.cert-file} and {@code admin.tls.key-file} (PEM), both or neither; null without TLS. */
  public static AdminTls adminTls(JsonObject admin) {
    if (!admin.containsKey("tls")) {
      return null;
    }
    // Wrapped so that errors name the full key (admin.tls.x), not tls.x.
    JsonObject tls = section(new JsonObject().put("admin.tls", admin.getValue("tls")), "admin.tls",
        Set.of("cert-file", "key-file"));
    return new AdminTls(required(tls, "admin.tls.cert-file", "cert-file"),
        required(tls, "admin.tls.key-file", "key-file"));
  }

  private static int positive(JsonObject o, String key, String field, int dflt) {
    String v = string(o, key, field, null);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new ConfigException(key, "expected a whole number of at least 1, got '" + v + "'");
  }

  private static HttpModeConfig http(JsonObject root) {
    JsonObject h = section(root, "http", Set.of("listen", "timeout", "max-connections-per-peer", "access-log",
        "services", "routes", "health-path", "health-interval", "max-header-size", "max-initial-line-length",
        "header-timeout", "idle-timeout", "max-client-connections"));
    SocketAddress listen = address(required(h, "http.listen", "listen"), "http.listen");
    Duration timeout = duration(h.getValue("timeout"), "http.timeout", HttpModeConfig.DEFAULT_TIMEOUT);
    int max = positive(h, "http.max-connections-per-peer", "max-connections-per-peer",
        HttpModeConfig.DEFAULT_MAX_CONNECTIONS);
    if (max > 10_000) {
      throw new ConfigException("http.max-connections-per-peer", "expected a number from 1 to 10000, got " + max);
    }
    Object log = h.getValue("access-log", false);
    if (!(log instanceof Boolean) && !"true".equals(log) && !"false".equals(log)) {
      throw new ConfigException("http.access-log", "expected true or false");
    }
    Object svc = h.getValue("services");
    if (!(svc instanceof JsonObject) || ((JsonObject) svc).isEmpty()) {
      throw new ConfigException("http.services", "required: a map of service name to its peer sidecars, e.g. "
          + "orders: [10.0.0.7:7443, 10.0.0.8:7443]");
    }
    Map<String, List<SocketAddress>> peers = new LinkedHashMap<>();
    for (String name : ((JsonObject) svc).fieldNames()) {
      String key = "http.services." + name;
      if (!SERVICE_NAME.matcher(name).matches()) {
        throw new ConfigException(key, "service names use letters, digits, '.', '_' or '-'");
      }
      Object v = ((JsonObject) svc).getValue(name);
      List<SocketAddress> list = new ArrayList<>();
      if (v instanceof JsonArray) {
        for (Object p : (JsonArray) v) {
          list.add(address(String.valueOf(p), key));
        }
      } else if (v != null) {
        list.add(address(String.valueOf(v), key));
      }
      if (list.isEmpty()) {
        throw new ConfigException(key, "required: one or more peer sidecars host:port");
      }
      peers.put(name.toLowerCase(java.util.Locale.ROOT), list);
    }
    List<HttpRoute> routes = new ArrayList<>();
    Object r = h.getValue("routes");
    if (r != null && !(r instanceof JsonArray)) {
      throw new ConfigException("http.routes", "expected a list of {host, path-prefix, service, timeout}");
    }
    if (r != null) {
      JsonArray list = (JsonArray) r;
      for (int i = 0; i < list.size(); i++) {
        String base = "http.routes[" + i + "]";
        if (!(list.getValue(i) instanceof JsonObject)) {
          throw new ConfigException(base, "expected {host, path-prefix, service, timeout}");
        }
        JsonObject o = list.getJsonObject(i);
        for (String k : o.fieldNames()) {
          if (!Set.of("host", "path-prefix", "service", "timeout").contains(k)) {
            throw new ConfigException(base + "." + k, "unknown key; expected host, path-prefix, service or timeout");
          }
        }
        String service = required(o, base + ".service", "service").toLowerCase(java.util.Locale.ROOT);
        if (!peers.containsKey(service)) {
          throw new ConfigException(base + ".service", "'" + service + "' is not in http.services " + peers.keySet());
        }
        String prefix = string(o, base + ".path-prefix", "path-prefix", "/");
        if (!prefix.startsWith("/")) {
          throw new ConfigException(base + ".path-prefix", "must start with '/', got '" + prefix + "'");
        }
        routes.add(new HttpRoute(string(o, base + ".host", "host", null), prefix, service,
            o.containsKey("timeout") ? duration(o.getValue("timeout"), base + ".timeout", null) : null));
      }
    }
    String healthPath = string(h, "http.health-path", "health-path", null);
    if (healthPath != null && !healthPath.startsWith("/")) {
      throw new ConfigException("http.health-path", "must start with '/', got '" + healthPath + "'");
    }
    Duration healthInterval = duration(h.getValue("health-interval"), "http.health-interval",
        HttpModeConfig.DEFAULT_HEALTH_INTERVAL);
    return new HttpModeConfig(listen, routes, peers, timeout, max, Boolean.parseBoolean(String.valueOf(log)),
        healthPath, healthInterval, listenerLimits(h));
  }

  private static ListenerLimits listenerLimits(JsonObject h) {
    ListenerLimits d = ListenerLimits.DEFAULTS;
    Duration headerTimeout = duration(h.getValue("header-timeout"), "http.header-timeout", d.headerTimeout());
    if (headerTimeout.isZero()) {
      throw new ConfigException("http.header-timeout", "must be more than 0 (it is what stops slow clients)");
    }
    return new ListenerLimits(
        positive(h, "http.max-header-size", "max-header-size", d.maxHeaderSize()),
        positive(h, "http.max-initial-line-length", "max-initial-line-length", d.maxInitialLineLength()),
        headerTimeout,
        duration(h.getValue("idle-timeout"), "http.idle-timeout", d.idleTimeout()),
        positive(h, "http.max-client-connections", "max-client-connections", d.maxClientConnections()));
  }

  private static AuthorityRecovery.Settings authority(JsonObject a) {
    String url = string(a, "authority.url", "url", null);
    if (url == null) {
      throw new ConfigException("authority.url", "required: the authority's address, e.g. https://10.0.0.5:8443");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException("authority.url", "not a URL: '" + url + "'");
    }
    if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigException("authority.url", "expected https://host:port, got '" + url + "'");
    }
    String ca = string(a, "authority.ca-file", "ca-file", null);
    if (ca == null) {
      throw new ConfigException("authority.ca-file", "required: the mesh CA certificate (ca.crt from sscmic init)");
    }
    String state = string(a, "authority.state-dir", "state-dir", null);
    if (state == null) {
      throw new ConfigException("authority.state-dir", "required: where the node keeps its certificate and key, "
          + "e.g. /var/lib/sscmic");
    }
    String tokenFile = string(a, "authority.token-file", "token-file", null);
    String tokenEnv = string(a, "authority.token-env", "token-env", null);
    if (tokenFile != null && tokenEnv != null) {
      throw new ConfigException("authority.token-file", "set only one of authority.token-file or authority.token-env");
    }
    TokenSource token = tokenFile != null ? TokenSource.file(Path.of(tokenFile))
        : tokenEnv != null ? TokenSource.env(tokenEnv) : TokenSource.none();
    String method = string(a, "authority.recovery", "recovery", "method2");
    AuthorityRecovery.Method m;
    switch (method) {
      case "method2":
        m = AuthorityRecovery.Method.SEALED_STATE;
        break;
      case "method1":
        m = AuthorityRecovery.Method.EPOCH_ONLY;
        break;
      default:
        throw new ConfigException("authority.recovery", "expected method2 (default: the authority sends the key "
            + "state) or method1 (the node holds the seed), got '" + method + "'");
    }
    String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
        : uri.getHost();
    Duration refresh = duration(a.getValue("refresh"), "authority.refresh", AuthorityRecovery.Settings.DEFAULT_REFRESH);
    if (refresh.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException("authority.refresh", "must be at least 100ms");
    }
    return new AuthorityRecovery.Settings(host, uri.getPort() < 0 ? 443 : uri.getPort(), Path.of(ca), Path.of(state),
        token, m, refresh);
  }

  /** A map under {@code name} (empty when absent), refusing keys outside {@code allowed}. */
  public static JsonObject section(JsonObject root, String name, Set<String> allowed) {
    Object v = root.getValue(name);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject)) {
      throw new ConfigException(name, "expected a map");
    }
    JsonObject o = (JsonObject) v;
    for (String k : o.fieldNames()) {
      if (!allowed.contains(k)) {
        throw new ConfigException(name + "." + k, "unknown key; expected one of " + allowed);
      }
    }
    return o;
  }

  private static String string(JsonObject o, String key, String field, String dflt) {
    Object v = o.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (v instanceof JsonObject || v instanceof JsonArray) {
      throw new ConfigException(key, "expected a single value");
    }
    String s = String.valueOf(v).trim();
    return s.isEmpty() ? dflt : s;
  }

  private static String required(JsonObject o, String key, String field) {
    String s = string(o, key, field, null);
    if (s == null) {
      throw new ConfigException(key, "required");
    }
    return s;
  }

  public static Instant instant(Object v, String key) {
    if (v == null) {
      throw new ConfigException(key, "required: the mesh's start time, e.g. 2026-01-01T00:00:00Z (same on every node)");
    }
    if (v instanceof Instant) {
      return (Instant) v;
    }
    if (v instanceof Date) {
      return ((Date) v).toInstant();
    }
    try {
      return Instant.parse(String.valueOf(v).trim());
    } catch (DateTimeParseException e) {
      throw new ConfigException(key, "expected an ISO-8601 UTC time such as 2026-01-01T00:00:00Z, got '" + v + "'");
    }
  }

  /** Parses {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT30S}. */
  public static Duration duration(Object v, String key, Duration dflt) {
    if (v == null) {
      if (dflt == null) {
        throw new ConfigException(key, "required: a duration such as 30s, 500ms or 5m");
      }
      return dflt;
    }
    String s = String.valueOf(v).trim();
    Matcher m = DURATION.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          return Duration.ofMillis(n);
        case "s":
          return Duration.ofSeconds(n);
        case "m":
          return Duration.ofMinutes(n);
        case "h":
          return Duration.ofHours(n);
        default:
          return Duration.ofDays(n);
      }
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw new ConfigException(key, "expected a duration such as 30s, 500ms or 5m, got '" + s + "'");
    }
  }

  public static SocketAddress address(String text, String key) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new ConfigException(key, "expected host:port, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "port is not a number in '" + text + "'");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(key, "port " + port + " out of range");
    }
    return SocketAddress.inetSocketAddress(port, host);
  }

  /** {@code admin.password-hash}: checked here so a typo fails at start, naming the key. */
  public static String adminPasswordHash(JsonObject admin) {
    String hash = string(admin, "admin.password-hash", "password-hash", null);
    if (hash != null) {
      try {
        PasswordHash.parse(hash);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("admin.password-hash", e.getMessage());
      }
    }
    return hash;
  }
}
