package io.sscmic.gateway.http.upstream;

import java.util.Locale;

/**
 * The protocol a service speaks behind its peer sidecar, and so the protocol of the requests the
 * caller's pool sends it through the tunnel (the tunnel carries the bytes as they are).
 */
public enum ServiceProtocol {
  /** HTTP/1.1 with keep-alive: one request at a time per pooled tunnel connection. */
  HTTP1("http1"),
  /**
   * HTTP/2 over cleartext with prior knowledge (no upgrade round trip): many concurrent requests
   * per tunnel connection, trailers and full-duplex streams, as gRPC needs.
   */
  H2C("h2c");

  private final String configName;

  ServiceProtocol(String configName) {
    this.configName = configName;
  }

  /** As written in the config ({@code http1}, {@code h2c}). */
  public String configName() {
    return configName;
  }

  /** @return null for a name that is none of them */
  public static ServiceProtocol parse(String name) {
    for (ServiceProtocol p : values()) {
      if (p.configName.equals(name.trim().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    return null;
  }
}
