package io.sscmic.authority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Giving a spent token back when what it bought could not be recorded (issue 17 item 6: found by
 * {@code netns-mesh.sh --ha}). With the cable of one etcd member's host cut, a replica's etcd client
 * still sends a share of its requests to that member until its keepalive gives it up: an enrollment
 * spent the token on a live member, its serial draw timed out on the dead one, and so did the
 * release, once, silently. The node was told "the token is still unused" and was refused as
 * {@code token_used} at every retry. Now the release is tried again (the next request goes to
 * another member), and a token that stays spent is reported as such.
 */
class EnrollmentTokensReleaseTest {
  private final SecureRandom random = new SecureRandom();

  /** A ledger in memory whose release fails the first {@code failures} times. */
  private static final class FlakyLedger implements TokenLedger {
    final Set<String> used = new HashSet<>();
    int failures;
    int releases;

    FlakyLedger(int failures) {
      this.failures = failures;
    }

    @Override
    public boolean consume(String nonce, long expiry) {
      return used.add(nonce);
    }

    @Override
    public void release(String nonce) throws IOException {
      releases++;
      if (failures > 0) {
        failures--;
        throw new IOException("etcd did not answer within 5000 ms");
      }
      used.remove(nonce);
    }

    @Override
    public boolean isUsed(String nonce) {
      return used.contains(nonce);
    }
  }

  private EnrollmentTokens.Checked spend(EnrollmentTokens tokens, String token, Instant now) {
    EnrollmentTokens.Checked c = tokens.check(token, now);
    tokens.consume(c, now);
    return c;
  }

  @Test
  void aReleaseThatTimesOutOnceIsTriedAgainAndTheTokenCanBeSpentAgain() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    FlakyLedger ledger = new FlakyLedger(EnrollmentTokens.RELEASE_ATTEMPTS - 1);
    EnrollmentTokens tokens = new EnrollmentTokens(key, ledger);
    Instant now = Instant.now();
    String token = tokens.issue("n1", Duration.ofMinutes(10), now, random);
    EnrollmentTokens.Checked c = spend(tokens, token, now);

    assertTrue(tokens.release(c, now), "given back on the last attempt");
    assertEquals(EnrollmentTokens.RELEASE_ATTEMPTS, ledger.releases);
    spend(tokens, token, now); // the node's retry enrolls with the same token
    EnrollmentTokens.TokenRefused again = assertThrows(EnrollmentTokens.TokenRefused.class, () -> tokens.check(token, now));
    assertEquals(EnrollmentTokens.Refusal.USED, again.reason());
  }

  @Test
  void aTokenTheLedgerKeepsSpentIsReportedSoAndStaysRefused() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    FlakyLedger ledger = new FlakyLedger(Integer.MAX_VALUE);
    EnrollmentTokens tokens = new EnrollmentTokens(key, ledger);
    Instant now = Instant.now();
    String token = tokens.issue("n1", Duration.ofMinutes(10), now, random);
    EnrollmentTokens.Checked c = spend(tokens, token, now);

    assertFalse(tokens.release(c, now), "the caller must not say 'still unused'");
    assertEquals(EnrollmentTokens.RELEASE_ATTEMPTS, ledger.releases, "bounded: each attempt may wait 5 s");
    EnrollmentTokens.TokenRefused refused = assertThrows(EnrollmentTokens.TokenRefused.class, () -> tokens.check(token, now));
    assertEquals(EnrollmentTokens.Refusal.USED, refused.reason());
  }
}
