package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class RatchetTest {
  /** An independent RFC 5869 HKDF-SHA-256 on javax.crypto, to pin the wire-relevant derivation. */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
    byte[] prk = mac.doFinal(ikm);
    mac.init(new SecretKeySpec(prk, "HmacSHA256"));
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    int pos = 0;
    for (int i = 1; pos < length; i++) {
      mac.update(t);
      mac.update(info);
      mac.update((byte) i);
      t = mac.doFinal();
      int n = Math.min(t.length, length - pos);
      System.arraycopy(t, 0, out, pos, n);
      pos += n;
    }
    return out;
  }

  @Test
  void independentHkdfPassesRfc5869TestCase1() throws Exception {
    HexFormat hex = HexFormat.of();
    byte[] okm = hkdf(hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        hex.parseHex("000102030405060708090a0b0c"), hex.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);
    assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", hex.formatHex(okm));
  }

  @Test
  void ratchetIsHkdfWithTheRatchetLabel() throws Exception {
    byte[] k = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    byte[] expected = hkdf(k, new byte[0], "sscmic/v1 ratchet".getBytes(StandardCharsets.US_ASCII), 32);
    assertArrayEquals(expected, Ratchet.next(k));
  }

  @Test
  void deterministicOneWayAndSeparatedByLabel() {
    byte[] k = Kdf.derive("x".getBytes(), "genesis", 32);
    assertArrayEquals(Ratchet.next(k), Ratchet.next(k.clone()));
    assertFalse(Arrays.equals(k, Ratchet.next(k)));
    assertFalse(Arrays.equals(Kdf.derive(k, "hello", 32), Kdf.derive(k, "accept", 32)));
    assertFalse(Arrays.equals(Kdf.derive(k, "ratchet", 32), Kdf.derive(k, "hello", 32)));
    assertEquals(32, Ratchet.next(k).length);
  }

  @Test
  void advanceIsRepeatedNext() {
    byte[] k = Kdf.derive("y".getBytes(), "genesis", 32);
    byte[] step = k;
    for (int i = 0; i < 17; i++) {
      step = Ratchet.next(step);
    }
    assertArrayEquals(step, Ratchet.advance(k, 17));
    assertArrayEquals(k, Ratchet.advance(k, 0));
    assertThrows(IllegalArgumentException.class, () -> Ratchet.advance(k, -1));
  }
}
