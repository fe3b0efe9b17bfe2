package io.sscmic.gateway.cipher;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM from the JDK (SunJCE, AES-NI and CLMUL intrinsics). */
final class JdkAesGcmAead implements FrameAead {
  private final SecretKeySpec key;
  private final Cipher cipher;

  JdkAesGcmAead(byte[] key) {
    this.key = new SecretKeySpec(key.clone(), "AES");
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding unavailable", e);
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
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      cipher.updateAAD(aad, aadOff, aadLen);
      return cipher.doFinal(in, inOff, inLen, out, outOff);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM seal failed", e);
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
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      cipher.updateAAD(aad, aadOff, aadLen);
      return cipher.doFinal(in, inOff, inLen, out, outOff);
    } catch (AEADBadTagException e) {
      throw new AeadAuthenticationException("authentication tag mismatch");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM open failed", e);
    }
  }
}
