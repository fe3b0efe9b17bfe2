package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.AeadAuthenticationException;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import java.util.Arrays;

/**
 * The handshake's secrets after the DH: {@code ikm = DH(e_c, e_s) || K(D)} and the two handshake
 * keys {@code HKDF(ikm, TH1, "sscmic/v2 hs key c2s|s2c", 32)} with their nonces
 * {@code HKDF(ikm, TH1, "sscmic/v2 hs iv c2s|s2c", 12)}. Each handshake key seals exactly one
 * message (RESP; FINISH or the client's ALERT), so its nonce is used once. Erased after use.
 */
final class HandshakeKeys {
  private final byte[] ikm;
  private final byte[] keyC2s;
  private final byte[] ivC2s;
  private final byte[] keyS2c;
  private final byte[] ivS2c;

  HandshakeKeys(byte[] dh, byte[] chainKey, byte[] th1) {
    this.ikm = V2Kdf.concat(dh, chainKey);
    this.keyC2s = V2Kdf.derive(ikm, th1, "hs key c2s", 32);
    this.ivC2s = V2Kdf.derive(ikm, th1, "hs iv c2s", 12);
    this.keyS2c = V2Kdf.derive(ikm, th1, "hs key s2c", 32);
    this.ivS2c = V2Kdf.derive(ikm, th1, "hs iv s2c", 12);
  }

  /** {@code HKDF(ikm, TH4, "sscmic/v2 connection secret", 32)}. */
  byte[] connectionSecret(byte[] th4) {
    return V2Kdf.derive(ikm, th4, "connection secret", 32);
  }

  byte[] key(Direction dir) {
    return dir == Direction.CLIENT_TO_SERVER ? keyC2s : keyS2c;
  }

  /** Seals {@code plain} under the direction's handshake key; returns ciphertext || tag. */
  byte[] seal(Direction dir, CipherSuite suite, AeadProvider provider, byte[] aad, byte[] plain) {
    FrameAead aead = provider.create(suite, key(dir));
    byte[] out = new byte[plain.length + Wire.TAG_LENGTH];
    aead.seal(dir == Direction.CLIENT_TO_SERVER ? ivC2s.clone() : ivS2c.clone(), aad, 0, aad.length, plain, 0,
        plain.length, out, 0);
    return out;
  }

  byte[] open(Direction dir, CipherSuite suite, AeadProvider provider, byte[] aad, byte[] in, int off, int len)
      throws HandshakeFailure {
    if (len < Wire.TAG_LENGTH) {
      throw new HandshakeFailure(AlertReason.MALFORMED, "sealed part shorter than its tag");
    }
    FrameAead aead = provider.create(suite, key(dir));
    byte[] out = new byte[len - Wire.TAG_LENGTH];
    try {
      aead.open(dir == Direction.CLIENT_TO_SERVER ? ivC2s.clone() : ivS2c.clone(), aad, 0, aad.length, in, off, len,
          out, 0);
    } catch (AeadAuthenticationException e) {
      throw new HandshakeFailure(AlertReason.BAD_RECORD, "sealed handshake message does not authenticate");
    }
    return out;
  }

  void erase() {
    Arrays.fill(ikm, (byte) 0);
    Arrays.fill(keyC2s, (byte) 0);
    Arrays.fill(ivC2s, (byte) 0);
    Arrays.fill(keyS2c, (byte) 0);
    Arrays.fill(ivS2c, (byte) 0);
  }
}
