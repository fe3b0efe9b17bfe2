package io.sscmic.gateway.config;

import io.sscmic.admin.AdminTls;
import io.vertx.core.net.SocketAddress;

/**
 * The {@code admin} section: the admin port (metrics, health, status, dashboard).
 *
 * @param listen the admin port, or null for none
 * @param passwordHash the dashboard password, or null to generate one at start and print it once
 * @param tls the admin port's certificate and key, or null for plain HTTP
 */
public record AdminSection(SocketAddress listen, String passwordHash, AdminTls tls) {
  public static final SocketAddress DEFAULT_LISTEN = NodeKeys.ADMIN_LISTEN.defaultValue().orElseThrow();

  /** Plain HTTP on {@code listen} with a password generated at start. */
  public static AdminSection plain(SocketAddress listen) {
    return new AdminSection(listen, null, null);
  }

  public AdminSection withListen(SocketAddress l) {
    return new AdminSection(l, passwordHash, tls);
  }

  public AdminSection withPasswordHash(String hash) {
    return new AdminSection(listen, hash, tls);
  }
}
