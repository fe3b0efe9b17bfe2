package io.sscmic.gateway.node;

import io.sscmic.admin.ui.PasswordHash;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * One dashboard password for the tests' admin ports, and the HTTP Basic header with which curl
 * reads {@code /status} ({@code curl -u admin:PASSWORD}). The hash is made once: PBKDF2 is slow.
 */
public final class AdminCredentials {
  public static final String PASSWORD = "sscmic test admin password";
  public static final String HASH = PasswordHash.hash(PASSWORD.toCharArray(), new SecureRandom());

  private AdminCredentials() {
  }

  /** The {@code Authorization} header value for {@code password}. */
  public static String basic(String password) {
    return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** The {@code Authorization} header value for {@link #PASSWORD}. */
  public static String basic() {
    return basic(PASSWORD);
  }
}
