package io.sscmic.gateway.record;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.handshake.V2Kdf;
import java.util.Arrays;

/**
 * The record keys of one direction of one connection:
 * {@code key(E, dir) = HKDF(ikm = K(E), salt = connection_secret, info = "sscmic/v2 record key " || dir, 32)},
 * {@code iv(E, dir) = HKDF(K(E), connection_secret, "sscmic/v2 record iv " || dir, 12)}. Keys advance
 * with the chain key every epoch with no message, yet chain keys alone open nothing: the connection
 * secret comes from the ephemeral DH. Derived once per epoch and kept in a small cache (the few
 * epochs a receiver accepts at once). Not thread-safe.
 */
final class RecordKeys {
  private static final int CACHE = 4;
  private final byte[] connectionSecret;
  private final CipherSuite suite;
  private final AeadProvider provider;
  private final Direction direction;
  private final EpochKey[] cache = new EpochKey[CACHE];
  private int derivations;

  record EpochKey(long epoch, byte[] chainKey, FrameAead aead, byte[] iv) {
  }

  RecordKeys(byte[] connectionSecret, CipherSuite suite, AeadProvider provider, Direction direction) {
    this.connectionSecret = connectionSecret.clone();
    this.suite = suite;
    this.provider = provider;
    this.direction = direction;
  }

  /** The raw record key (exposed for the protocol test vectors). */
  static byte[] key(byte[] chainKey, byte[] connectionSecret, Direction dir) {
    return V2Kdf.derive(chainKey, connectionSecret, "record key " + dir.label(), FrameAead.KEY_LENGTH);
  }

  static byte[] iv(byte[] chainKey, byte[] connectionSecret, Direction dir) {
    return V2Kdf.derive(chainKey, connectionSecret, "record iv " + dir.label(), FrameAead.NONCE_LENGTH);
  }

  EpochKey forEpoch(long epoch, byte[] chainKey) {
    int oldest = 0;
    for (int i = 0; i < CACHE; i++) {
      EpochKey k = cache[i];
      if (k == null) {
        oldest = i;
        break;
      }
      if (k.epoch == epoch && (k.chainKey == chainKey || Arrays.equals(k.chainKey, chainKey))) {
        return k;
      }
      if (cache[oldest] != null && k.epoch < cache[oldest].epoch) {
        oldest = i;
      }
    }
    byte[] key = key(chainKey, connectionSecret, direction);
    EpochKey fresh = new EpochKey(epoch, chainKey, provider.create(suite, key), iv(chainKey, connectionSecret, direction));
    Arrays.fill(key, (byte) 0);
    cache[oldest] = fresh;
    derivations++;
    return fresh;
  }

  /** How many epoch keys were derived (for tests: once per epoch, not per record). */
  int derivations() {
    return derivations;
  }

  /** nonce = iv XOR (0^32 || seq64). */
  static void nonce(byte[] iv, long seq, byte[] out) {
    System.arraycopy(iv, 0, out, 0, 4);
    for (int i = 0; i < 8; i++) {
      out[4 + i] = (byte) (iv[4 + i] ^ (seq >>> (56 - 8 * i)));
    }
  }

  void erase() {
    Arrays.fill(connectionSecret, (byte) 0);
    for (EpochKey k : cache) {
      if (k != null) {
        Arrays.fill(k.iv, (byte) 0);
      }
    }
    Arrays.fill(cache, null);
  }
}
