package io.sscmic.gateway.http;

import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Request to service: the route table first (Host and path prefix, in order), then, for
 * forward-proxy use, a service named by the request's host (absolute-form URI, Host header or the
 * CONNECT authority). It knows names only; which peer serves the service is the balancer's job.
 */
final class Router {
  private final List<HttpRoute> routes;
  private final Set<String> services;
  private final Duration defaultTimeout;
  private final String node;

  /** @param services the names a request's host may name directly */
  Router(List<HttpRoute> routes, Set<String> services, Duration defaultTimeout, String node) {
    this.routes = List.copyOf(routes);
    this.services = Set.copyOf(services);
    this.defaultTimeout = defaultTimeout;
    this.node = node;
  }

  /** @throws ProxyFailure 400 for a URI that does not parse, 404 when nothing matches */
  Target route(HttpServerRequest req) {
    Named named = named(req);
    String host = named.host();
    String path = named.path();
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    for (HttpRoute r : routes) {
      if (r.matches(h, path)) {
        return new Target(r.service(), r.name(), host, path, r.timeout() == null ? defaultTimeout : r.timeout());
      }
    }
    if (services.contains(h)) {
      return new Target(h, HttpRoute.NONE, host, path, defaultTimeout);
    }
    throw new ProxyFailure(ProxyFailure.Kind.NO_ROUTE, "-", "no route for host '"
        + (req.authority() == null ? "" : req.authority().host()) + "' and path '" + req.path() + "' on sidecar " + node);
  }

  /**
   * A request on a connection that transparent interception captured: its service is the one its
   * original destination maps to, whatever its Host says (an address, as the application dialled
   * it). The timeout is that of the first route to the same service whose path prefix matches,
   * else the default.
   *
   * @throws ProxyFailure 400 for a URI that does not parse
   */
  Target routeCaptured(HttpServerRequest req, String service) {
    Named named = named(req);
    for (HttpRoute r : routes) {
      if (r.service().equals(service) && named.path().startsWith(r.pathPrefix())) {
        return new Target(service, r.name(), named.host(), named.path(), r.timeout() == null ? defaultTimeout : r.timeout());
      }
    }
    return new Target(service, HttpRoute.NONE, named.host(), named.path(), defaultTimeout);
  }

  /** The host a request names (absolute-form URI, else its authority) and the path to ask for. */
  private record Named(String host, String path) {
  }

  private static Named named(HttpServerRequest req) {
    String host;
    String path;
    String uri = req.uri();
    if (uri.startsWith("http://") || uri.startsWith("https://")) {
      // Forward-proxy use: an absolute-form URI names the service as its host.
      URI u;
      try {
        u = URI.create(uri);
      } catch (IllegalArgumentException e) {
        throw new ProxyFailure(ProxyFailure.Kind.BAD_REQUEST, "-", "bad request URI: " + e.getMessage());
      }
      host = u.getHost();
      path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
          + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    } else {
      host = req.authority() == null ? null : req.authority().host();
      path = uri;
    }
    return new Named(host, path);
  }

  /** CONNECT service:port names its service directly; routes do not apply (there is no path). */
  String connectService(HttpServerRequest req) {
    String host = req.authority() == null ? "" : req.authority().host().toLowerCase(Locale.ROOT);
    if (!services.contains(host)) {
      throw new ProxyFailure(ProxyFailure.Kind.NO_ROUTE, host, "CONNECT: no service named '" + host + "' on sidecar "
          + node);
    }
    return host;
  }
}
