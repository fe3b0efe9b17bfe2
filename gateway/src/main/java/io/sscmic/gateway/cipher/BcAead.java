package io.sscmic.gateway.cipher;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** AES-256-GCM or ChaCha20-Poly1305 from Bouncy Castle's lightweight API (pure Java). */
final class BcAead implements FrameAead {
  private final KeyParameter key;
  private final AEADCipher cipher;

  BcAead(CipherSuite suite, byte[] key) {
    this.key = new KeyParameter(key.clone());
    this.cipher = suite == CipherSuite.AES_256_GCM
        ? GCMBlockCipher.newInstance(AESEngine.newInstance())
        : new ChaCha20Poly1305();
  }

  @Override
  public int seal(byte[] nonce, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff, int inLen, byte[] out,
                  int outOff) {
    cipher.init(true, new AEADParameters(key, TAG_LENGTH * 8, nonce.clone()));
    cipher.processAADBytes(aad, aadOff, aadLen);
    int n = cipher.processBytes(in, inOff, inLen, out, outOff);
    try {
      return n + cipher.doFinal(out, outOff + n);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("seal failed", e);
    }
  }

  @Override
  public int open(byte[] nonce, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff, int inLen, byte[] out,
                  int outOff) throws AeadAuthenticationException {
    if (inLen < TAG_LENGTH) {
      throw new AeadAuthenticationException("frame shorter than the tag");
    }
    cipher.init(false, new AEADParameters(key, TAG_LENGTH * 8, nonce.clone()));
    cipher.processAADBytes(aad, aadOff, aadLen);
    // Decrypt into scratch space: the caller's buffer sees plaintext only after the tag verified.
    byte[] scratch = new byte[inLen - TAG_LENGTH];
    try {
      int n = cipher.processBytes(in, inOff, inLen, scratch, 0);
      n += cipher.doFinal(scratch, n);
      System.arraycopy(scratch, 0, out, outOff, n);
      return n;
    } catch (InvalidCipherTextException e) {
      throw new AeadAuthenticationException("authentication tag mismatch");
    }
  }
}
