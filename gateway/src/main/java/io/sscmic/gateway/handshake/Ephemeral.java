package io.sscmic.gateway.handshake;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * One ephemeral X25519 key pair (RFC 7748), held as bytes so that it can be erased after the
 * exchange (the JDK's XDH keys cannot be wiped).
 */
final class Ephemeral {
  static final int LENGTH = 32;
  private final byte[] privateKey;
  private final byte[] publicKey = new byte[LENGTH];

  Ephemeral(SecureRandom random) {
    this(newPrivate(random));
  }

  /** From a fixed private key (test vectors only). */
  Ephemeral(byte[] privateKey) {
    this.privateKey = privateKey.clone();
    X25519.generatePublicKey(this.privateKey, 0, publicKey, 0);
  }

  private static byte[] newPrivate(SecureRandom random) {
    byte[] k = new byte[LENGTH];
    X25519.generatePrivateKey(random, k);
    return k;
  }

  byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * DH(own private, peer public); {@code malformed} when the peer's key is a low-order point (the
   * shared secret would be all zeros, known to anyone).
   */
  byte[] agree(byte[] peerPublic) throws HandshakeFailure {
    byte[] out = new byte[LENGTH];
    if (!X25519.calculateAgreement(privateKey, 0, peerPublic, 0, out, 0)) {
      throw new HandshakeFailure(AlertReason.MALFORMED, "ephemeral key is a low-order point");
    }
    return out;
  }

  void erase() {
    Arrays.fill(privateKey, (byte) 0);
  }
}
