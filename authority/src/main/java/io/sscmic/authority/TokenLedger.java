package io.sscmic.authority;

import java.io.IOException;

/**
 * Where consumed enrollment tokens are recorded when several authority replicas share them: the
 * record must be linearizable (of two replicas spending one token at once, exactly one wins).
 * Blocking: called on a worker, as enrollment is.
 */
public interface TokenLedger {
  /**
   * Records the token {@code nonce} as spent if no replica has spent it yet.
   *
   * @param expiry the token's expiry (Unix seconds): the record may be forgotten after it
   * @return true when this call spent it, false when it was spent already
   * @throws IOException the ledger cannot be reached: the caller treats the token as not spent here
   *     (if the write did land, the token is spent, the safe side)
   */
  boolean consume(String nonce, long expiry) throws IOException;

  /** Gives a token back (what it bought could not be recorded). */
  void release(String nonce) throws IOException;

  /** Whether some replica spent the token. */
  boolean isUsed(String nonce) throws IOException;
}
