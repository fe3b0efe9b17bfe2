package io.sscmic.gateway.cipher;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** ChaCha20-Poly1305 (RFC 8439) from the JDK; fast only on JDK 25+ intrinsics. */
final class JdkChaCha20Poly1305Aead implements FrameAead {
  private final SecretKeySpec key;
  private final Cipher cipher;

  JdkChaCha20Poly1305Aead(byte[] key) {
    this.key = new SecretKeySpec(key.clone(), "ChaCha20");
    try {
      this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 unavailable", e);
    }
  }

  @Override
  public int seal(byte[] nonce, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff, int inLen, byte[] out,
                  int outOff) {
    if (in == out) {
      // SunJCE copies the whole backing array when input and output share one (measured on JDK 17:
      // about 1 ms for a 4 MiB array, 13 us for Netty 4.2's 128 KiB pooled heap chunks, whatever the
      // record size): copy just the input range instead.
      in = Arrays.copyOfRange(in, inOff, inOff + inLen);
      inOff = 0;
    }
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
      cipher.updateAAD(aad, aadOff, aadLen);
      return cipher.doFinal(in, inOff, inLen, out, outOff);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
    }
  }

  @Override
  public int open(byte[] nonce, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff, int inLen, byte[] out,
                  int outOff) throws AeadAuthenticationException {
    if (in == out) {
      // SunJCE copies the whole backing array when input and output share one (measured on JDK 17:
      // about 1 ms for a 4 MiB array, 13 us for Netty 4.2's 128 KiB pooled heap chunks, whatever the
      // record size): copy just the input range instead.
      in = Arrays.copyOfRange(in, inOff, inOff + inLen);
      inOff = 0;
    }
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
      cipher.updateAAD(aad, aadOff, aadLen);
      return cipher.doFinal(in, inOff, inLen, out, outOff);
    } catch (AEADBadTagException e) {
      throw new AeadAuthenticationException("authentication tag mismatch");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
    }
  }
}
