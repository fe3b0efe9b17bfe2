package io.sscmic.gateway.http;

import java.time.Duration;

/**
 * One line of the HTTP routing table: requests whose Host matches {@code host} (any host when
 * null) and whose path starts with {@code pathPrefix} go to {@code service}.
 *
 * @param timeout from the request's arrival to the response's first byte
 * @param name the route's {@code route} label on the request meters and its row on the dashboard;
 *     null: {@code HOST/PATH-PREFIX}, {@code *} for any host (e.g. {@code *}{@code /orders/}).
 *     Routes are config, so the label's values are bounded by the table's length.
 */
public record HttpRoute(String host, String pathPrefix, String service, Duration timeout, String name) {
  /** The {@code route} label of requests that no route table line matched (forward proxy, CONNECT, refused). */
  public static final String NONE = "-";

  public HttpRoute {
    host = host == null ? null : host.toLowerCase(java.util.Locale.ROOT);
    pathPrefix = pathPrefix == null || pathPrefix.isEmpty() ? "/" : pathPrefix;
    name = name == null || name.isBlank() ? (host == null ? "*" : host) + pathPrefix : name;
  }

  /** A route named after its host and path prefix. */
  public HttpRoute(String host, String pathPrefix, String service, Duration timeout) {
    this(host, pathPrefix, service, timeout, null);
  }

  boolean matches(String requestHost, String path) {
    return (host == null || host.equals(requestHost)) && path.startsWith(pathPrefix);
  }
}
