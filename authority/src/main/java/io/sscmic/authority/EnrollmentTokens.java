package io.sscmic.authority;

import io.sscmic.keysyn.StateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One-time, expiring enrollment tokens. A token is self-contained and MAC'd with the authority's
 * token key: {@code base64url(node id | expiry | nonce | HMAC)}; the authority only has to remember
 * the nonces it has consumed (until their expiry), so a token works once.
 */
public final class EnrollmentTokens {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(EnrollmentTokens.class.getName());
  private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
  private final byte[] key;
  /** Consumed token nonce to the token's expiry (Unix seconds): the file keeps an entry until then. */
  private final Map<String, Long> consumed = new ConcurrentHashMap<>();
  private final Path usedFile;
  /** Spent tokens shared by authority replicas (etcd), or null for this authority alone. */
  private final TokenLedger ledger;

  /** Tokens remembered in memory only: a restarted authority would accept an unexpired token again. */
  public EnrollmentTokens(byte[] key) {
    this(key, (Path) null);
  }

  /**
   * @param usedFile where consumed tokens are recorded ({@code expiry nonce} lines), so that a
   *     restarted authority still refuses them; expired entries are dropped on load. File access:
   *     construct and redeem on a worker.
   */
  public EnrollmentTokens(byte[] key, Path usedFile) {
    this(key, usedFile, null);
  }

  /**
   * Tokens shared by several authority replicas: a token is spent in {@code ledger} (one
   * linearizable record for all replicas) as well as here.
   */
  public EnrollmentTokens(byte[] key, TokenLedger ledger) {
    this(key, null, ledger);
  }

  private EnrollmentTokens(byte[] key, Path usedFile, TokenLedger ledger) {
    this.ledger = ledger;
    if (key.length < 32) {
      throw new IllegalArgumentException("token key must be at least 32 bytes");
    }
    this.key = key.clone();
    this.usedFile = usedFile;
    if (usedFile != null && Files.exists(usedFile)) {
      long now = Instant.now().getEpochSecond();
      try {
        for (String line : Files.readAllLines(usedFile, StandardCharsets.US_ASCII)) {
          String[] f = line.trim().split(" ");
          if (f.length == 2 && Long.parseLong(f[0]) >= now) {
            consumed.put(f[1], Long.parseLong(f[0]));
          }
        }
      } catch (IOException | NumberFormatException e) {
        throw new IllegalStateException("cannot read the used-token list " + usedFile + ": " + e.getMessage(), e);
      }
    }
  }

  public String issue(String nodeId, Duration ttl, Instant now, SecureRandom random) {
    if (io.sscmic.keysyn.pki.NodeCertificates.isReserved(nodeId)) {
      throw new IllegalArgumentException("the node id '" + io.sscmic.keysyn.pki.NodeCertificates.AUTHORITY_ID
          + "' is reserved for the authority");
    }
    byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    ByteBuffer b = ByteBuffer.allocate(1 + id.length + 8 + 16 + 32);
    b.put((byte) id.length).put(id).putLong(now.plus(ttl).getEpochSecond()).put(nonce);
    b.put(mac(b.array(), b.position()));
    return ENC.encodeToString(b.array());
  }

  /** A token that has passed {@link #check}: for {@code node}, not yet consumed. */
  public record Checked(String node, String nonce, long expiry) {
  }

  /** Why a token is refused. */
  public enum Refusal { MALFORMED, FOREIGN, EXPIRED, USED }

  /** A refused token; the message is fit for the caller (it names no secret). */
  public static final class TokenRefused extends IllegalArgumentException {
    private final Refusal reason;

    TokenRefused(Refusal reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Refusal reason() {
      return reason;
    }
  }

  /**
   * Checks a token and consumes it.
   *
   * @return the node id the token was issued for
   * @throws TokenRefused with the reason: malformed, not issued here, expired, used
   */
  public String redeem(String token, Instant now) {
    Checked c = check(token, now);
    consume(c, now);
    return c.node();
  }

  /**
   * Checks a token without consuming it: the authority checks the rest of the request (the CSR)
   * before it spends the token, so that a malformed request leaves the token usable.
   */
  public Checked check(String token, Instant now) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token.trim());
    } catch (IllegalArgumentException e) {
      throw new TokenRefused(Refusal.MALFORMED, "malformed token");
    }
    if (raw.length < 1 + 1 + 8 + 16 + 32 || raw.length != 1 + (raw[0] & 0xFF) + 8 + 16 + 32) {
      throw new TokenRefused(Refusal.MALFORMED, "malformed token");
    }
    int body = raw.length - 32;
    byte[] expected = mac(raw, body);
    byte[] actual = java.util.Arrays.copyOfRange(raw, body, raw.length);
    if (!MessageDigest.isEqual(expected, actual)) {
      throw new TokenRefused(Refusal.FOREIGN, "token not issued by this authority");
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    byte[] nodeId = new byte[b.get() & 0xFF];
    b.get(nodeId);
    long expiry = b.getLong();
    if (now.getEpochSecond() > expiry) {
      throw new TokenRefused(Refusal.EXPIRED, "token expired at " + Instant.ofEpochSecond(expiry));
    }
    byte[] nonce = new byte[16];
    b.get(nonce);
    String id64 = ENC.encodeToString(nonce);
    if (consumed.containsKey(id64)) {
      throw new TokenRefused(Refusal.USED, "token already used");
    }
    if (usedElsewhere(id64)) {
      // Said so: an operator reading this on the replica the node asked should look at the other ones.
      throw new TokenRefused(Refusal.USED, "token already used (spent on another authority replica)");
    }
    return new Checked(new String(nodeId, StandardCharsets.UTF_8), id64, expiry);
  }

  /**
   * Spends a checked token; atomic, so of two requests with one token only one gets through.
   *
   * @throws TokenRefused (used) when another request spent it first
   * @throws UncheckedIOException when the used-token file cannot be written: the token stays unused
   */
  public void consume(Checked c, Instant now) {
    if (consumed.putIfAbsent(c.nonce(), c.expiry()) != null) {
      throw new TokenRefused(Refusal.USED, "token already used");
    }
    if (ledger != null) {
      boolean mine;
      try {
        mine = ledger.consume(c.nonce(), c.expiry());
      } catch (IOException e) {
        consumed.remove(c.nonce());
        throw new UncheckedIOException(e.getMessage(), e);
      }
      if (!mine) {
        // Another replica spent it: remembered here as spent, refused.
        throw new TokenRefused(Refusal.USED, "token already used (spent on another authority replica)");
      }
    }
    if (usedFile != null) {
      try {
        record(now);
      } catch (IOException e) {
        // Not recorded, so not consumed: the token can be tried again once there is space.
        consumed.remove(c.nonce());
        throw new UncheckedIOException(e.getMessage(), e);
      }
    }
  }

  /**
   * Attempts at giving a token back to the shared ledger. The step that failed before (a serial,
   * a certificate record) timed out on one etcd member, typically one cut off the network that the
   * client still spreads requests to (round robin) until its keepalive gives it up; the next attempt
   * goes to another member. Each attempt waits at most {@code EtcdStore.TIMEOUT}.
   */
  static final int RELEASE_ATTEMPTS = 3;

  /**
   * Gives a consumed token back (what it was to buy could not be recorded). Blocking.
   *
   * @return false when the token stays spent (the ledger or the used-token file could not be
   *     written): the caller must not tell the node that it is unused
   */
  public boolean release(Checked c, Instant now) {
    if (ledger != null) {
      IOException failed = null;
      for (int attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
        try {
          ledger.release(c.nonce());
          failed = null;
          break;
        } catch (IOException e) {
          failed = e;
        }
      }
      if (failed != null) {
        String why = failed.getMessage();
        LOG.warning(() -> "authority: the token of node '" + c.node() + "' stays spent: giving it back failed "
            + RELEASE_ATTEMPTS + " times (" + why + "); the node needs a new token");
        return false; // still spent in the ledger: the safe side
      }
    }
    if (consumed.remove(c.nonce()) != null && usedFile != null) {
      try {
        record(now);
      } catch (IOException e) {
        // The file still lists it as used: the token stays spent, the safe side.
        consumed.put(c.nonce(), c.expiry());
        return false;
      }
    }
    return true;
  }

  private boolean usedElsewhere(String nonce) {
    if (ledger == null) {
      return false;
    }
    try {
      return ledger.isUsed(nonce);
    } catch (IOException e) {
      return false; // the consume below asks again, and refuses to spend without an answer
    }
  }

  /**
   * Rewrites the used-token file whole (appending could leave a torn line on a full disk), with
   * the entries that have not expired: the file stays as small as the tokens in flight.
   */
  private synchronized void record(Instant now) throws IOException {
    StringBuilder text = new StringBuilder();
    consumed.forEach((nonce, expiry) -> {
      if (expiry >= now.getEpochSecond()) {
        text.append(expiry).append(' ').append(nonce).append('\n');
      }
    });
    StateFiles.write(usedFile, text.toString().getBytes(StandardCharsets.US_ASCII), true);
  }

  private byte[] mac(byte[] data, int length) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      m.update("sscmic/v1 enrollment token".getBytes(StandardCharsets.US_ASCII));
      m.update(data, 0, length);
      return m.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
