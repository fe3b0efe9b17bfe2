package io.sscmic.gateway.http;

import java.time.Duration;

/**
 * One line of the HTTP routing table: requests whose Host matches {@code host} (any host when
 * null) and whose path starts with {@code pathPrefix} go to {@code service}.
 *
 * @param timeout from the request's arrival to the response's first byte
 */
public record HttpRoute(String host, String pathPrefix, String service, Duration timeout) {
  public HttpRoute {
    host = host == null ? null : host.toLowerCase(java.util.Locale.ROOT);
    pathPrefix = pathPrefix == null || pathPrefix.isEmpty() ? "/" : pathPrefix;
  }

  boolean matches(String requestHost, String path) {
    return (host == null || host.equals(requestHost)) && path.startsWith(pathPrefix);
  }
}
