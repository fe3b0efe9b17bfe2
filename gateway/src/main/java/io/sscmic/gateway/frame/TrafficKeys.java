package io.sscmic.gateway.frame;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.keysyn.Kdf;

/**
 * Derives a connection's traffic keys: {@code HKDF(ikm = chain key of epoch E,
 * salt = client_random || server_random, info = "sscmic/v1 traffic c2s|s2c" || cipher id)}.
 * Fresh randomness from both ends makes every (key, nonce) pair unique in the mesh, though all
 * nodes share the chain key, and makes a recorded connection useless against a new accept.
 */
public final class TrafficKeys {
  private final byte[] salt;
  private final CipherSuite suite;
  private final AeadProvider provider;

  public TrafficKeys(byte[] clientRandom, byte[] serverRandom, CipherSuite suite, AeadProvider provider) {
    this.salt = new byte[Protocol.RANDOM_LENGTH * 2];
    System.arraycopy(clientRandom, 0, salt, 0, Protocol.RANDOM_LENGTH);
    System.arraycopy(serverRandom, 0, salt, Protocol.RANDOM_LENGTH, Protocol.RANDOM_LENGTH);
    this.suite = suite;
    this.provider = provider;
  }

  public CipherSuite suite() {
    return suite;
  }

  /** The raw traffic key (exposed for the protocol test vectors). */
  public byte[] key(byte[] chainKey, Direction direction) {
    return Kdf.derive(chainKey, salt, direction.label(), new byte[] {(byte) suite.wireId()}, FrameAead.KEY_LENGTH);
  }

  FrameAead aead(byte[] chainKey, Direction direction) {
    return provider.create(suite, key(chainKey, direction));
  }

  /** The 12-byte nonce of sequence number {@code seq}: four zero bytes, then seq big-endian. */
  static void nonce(long seq, byte[] out) {
    for (int i = 0; i < 4; i++) {
      out[i] = 0;
    }
    for (int i = 0; i < 8; i++) {
      out[4 + i] = (byte) (seq >>> (56 - 8 * i));
    }
  }
}
