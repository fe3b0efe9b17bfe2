package io.sscmic.admin.ui;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.logging.Logger;

/**
 * What the dashboard needs before it serves: the password to check and the key that signs CSRF
 * tokens (random per start). Made on a worker: hashing, SecureRandom seeding and the password
 * file may block.
 *
 * @param password the login password's hash
 * @param csrfSecret signs the CSRF tokens of this run
 * @param generatedPasswordFile the 0600 file holding this run's generated password, or null when
 *     the password is configured ({@code admin.password-hash})
 */
public record DashboardSecrets(PasswordHash password, String csrfSecret, Path generatedPasswordFile) {
  private static final Logger LOG = Logger.getLogger(DashboardSecrets.class.getName());

  /**
   * @param configuredHash {@code admin.password-hash}, or null: then a random password is made and
   *     written to a 0600 file ({@link PasswordFile}); the log names the file, never the password
   * @param stateDir where that file goes ({@code admin-password}), or null for a temporary file
   */
  public static DashboardSecrets prepare(String node, String configuredHash, Path stateDir) {
    SecureRandom random = new SecureRandom();
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String csrf = Base64.getEncoder().encodeToString(secret);
    if (configuredHash != null) {
      return new DashboardSecrets(PasswordHash.parse(configuredHash), csrf, null);
    }
    char[] generated = GeneratedPassword.create(random);
    try {
      PasswordHash hash = PasswordHash.ofGenerated(generated, random);
      Path file = PasswordFile.write(stateDir, node, generated);
      LOG.warning(node + ": admin.password-hash is not set; the dashboard password for this run is in " + file
          + " (owner-only; removed at stop; `sscmic admin-password` makes a hash to set a lasting one)");
      return new DashboardSecrets(hash, csrf, file);
    } finally {
      Arrays.fill(generated, '\0');
    }
  }
}
