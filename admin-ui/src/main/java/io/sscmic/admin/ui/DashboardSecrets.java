package io.sscmic.admin.ui;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.logging.Logger;

/**
 * What the dashboard needs before it serves: the password to check and the key that signs CSRF
 * tokens (random per start). Made on a worker: hashing and SecureRandom seeding may block.
 *
 * @param password the login password's hash
 * @param csrfSecret signs the CSRF tokens of this run
 */
public record DashboardSecrets(PasswordHash password, String csrfSecret) {
  private static final Logger LOG = Logger.getLogger(DashboardSecrets.class.getName());

  /**
   * @param configuredHash {@code admin.password-hash}, or null: then a random password is made and
   *     printed once in the log, and kept nowhere else
   */
  public static DashboardSecrets prepare(String node, String configuredHash) {
    SecureRandom random = new SecureRandom();
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String csrf = Base64.getEncoder().encodeToString(secret);
    if (configuredHash != null) {
      return new DashboardSecrets(PasswordHash.parse(configuredHash), csrf);
    }
    char[] generated = GeneratedPassword.create(random);
    PasswordHash hash = PasswordHash.ofGenerated(generated, random);
    LOG.warning(node + ": admin.password-hash is not set; the dashboard password for this run is "
        + new String(generated) + " (shown once; `sscmic admin-password` makes a hash to set a lasting one)");
    return new DashboardSecrets(hash, csrf);
  }
}
