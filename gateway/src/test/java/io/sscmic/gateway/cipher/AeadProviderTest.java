package io.sscmic.gateway.cipher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AeadProviderTest {
  private static final HexFormat HEX = HexFormat.of();

  static Stream<Arguments> backends() {
    return Stream.of(AeadProvider.values())
        .flatMap(p -> Stream.of(CipherSuite.values()).map(s -> Arguments.of(p, s)));
  }

  private static byte[] key() {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (i * 7);
    }
    return k;
  }

  private static byte[] nonce(long seq) {
    byte[] n = new byte[12];
    for (int i = 0; i < 8; i++) {
      n[4 + i] = (byte) (seq >>> (56 - 8 * i));
    }
    return n;
  }

  /** McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, AAD). */
  @ParameterizedTest
  @MethodSource("providers")
  void aesGcmKnownAnswer(AeadProvider provider) throws Exception {
    byte[] key = HEX.parseHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    byte[] iv = HEX.parseHex("cafebabefacedbaddecaf888");
    byte[] p = HEX.parseHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    byte[] a = HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    String expected = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" + "76fc6ece0f4e1768cddf8853bb2d551b";
    knownAnswer(() -> provider.create(CipherSuite.AES_256_GCM, key), iv, a, p, expected);
  }

  /** RFC 8439 section 2.8.2. */
  @ParameterizedTest
  @MethodSource("providers")
  void chaCha20Poly1305KnownAnswer(AeadProvider provider) throws Exception {
    byte[] key = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    byte[] iv = HEX.parseHex("070000004041424344454647");
    byte[] a = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    byte[] p = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
        + " sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    String expected = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691";
    knownAnswer(() -> provider.create(CipherSuite.CHACHA20_POLY1305, key), iv, a, p, expected);
  }

  static Stream<AeadProvider> providers() {
    return Stream.of(AeadProvider.values());
  }

  /** Seals with one instance and opens with another, as the two ends of a tunnel do. */
  private static void knownAnswer(java.util.function.Supplier<FrameAead> aeads, byte[] iv, byte[] aad, byte[] plain,
                                  String expected) throws Exception {
    byte[] out = new byte[plain.length + FrameAead.TAG_LENGTH];
    assertEquals(out.length, aeads.get().seal(iv, aad, 0, aad.length, plain, 0, plain.length, out, 0));
    assertEquals(expected, HEX.formatHex(out));
    byte[] back = new byte[plain.length];
    assertEquals(plain.length, aeads.get().open(iv, aad, 0, aad.length, out, 0, out.length, back, 0));
    assertArrayEquals(plain, back);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void everyBackendOpensWhatEveryOtherSeals(AeadProvider sealer, CipherSuite suite) throws Exception {
    for (AeadProvider opener : AeadProvider.values()) {
      FrameAead s = sealer.create(suite, key());
      FrameAead o = opener.create(suite, key());
      for (int size : new int[] {0, 1, 1000, 16384}) {
        byte[] plain = new byte[size];
        Arrays.fill(plain, (byte) size);
        byte[] aad = {1, 2, 3, 4, 5};
        byte[] sealed = new byte[size + 16];
        s.seal(nonce(size), aad, 0, 5, plain, 0, size, sealed, 0);
        byte[] back = new byte[size];
        o.open(nonce(size), aad, 0, 5, sealed, 0, sealed.length, back, 0);
        assertArrayEquals(plain, back, sealer + " -> " + opener + " " + size);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void anyChangeFailsAuthenticationAndWritesNoPlaintext(AeadProvider provider, CipherSuite suite) throws Exception {
    FrameAead aead = provider.create(suite, key());
    byte[] plain = "transfer 100 to alice".getBytes();
    byte[] aad = {0, 9, 1, 0, 37};
    byte[] sealed = new byte[plain.length + 16];
    aead.seal(nonce(1), aad, 0, aad.length, plain, 0, plain.length, sealed, 0);
    for (int variant = 0; variant < 4; variant++) {
      byte[] c = sealed.clone();
      byte[] a = aad.clone();
      byte[] n = nonce(1);
      switch (variant) {
        case 0 -> c[3] ^= 1;               // ciphertext
        case 1 -> c[c.length - 1] ^= 1;    // tag
        case 2 -> a[1] ^= 1;               // associated data (the epoch header)
        default -> n = nonce(2);           // another sequence number (replay, reorder)
      }
      byte[] out = new byte[plain.length];
      final byte[] cc = c;
      final byte[] aa = a;
      final byte[] nn = n;
      assertThrows(AeadAuthenticationException.class,
          () -> provider.create(suite, key()).open(nn, aa, 0, aa.length, cc, 0, cc.length, out, 0), "variant " + variant);
      assertArrayEquals(new byte[plain.length], out, "no plaintext written, variant " + variant);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void oneInstanceHandlesManyConsecutiveNonces(AeadProvider provider, CipherSuite suite) throws Exception {
    FrameAead s = provider.create(suite, key());
    FrameAead o = provider.create(suite, key());
    byte[] plain = new byte[100];
    byte[] sealed = new byte[116];
    byte[] back = new byte[100];
    for (long seq = 0; seq < 500; seq++) {
      plain[0] = (byte) seq;
      s.seal(nonce(seq), plain, 0, 0, plain, 0, 100, sealed, 0);
      o.open(nonce(seq), plain, 0, 0, sealed, 0, 116, back, 0);
      assertArrayEquals(plain, back);
    }
  }

  @Test
  void keysOfTheWrongLengthAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> AeadProvider.JDK.create(CipherSuite.AES_256_GCM, new byte[16]));
  }

  @Test
  void cipherNamesParseAsOperatorsWriteThem() {
    assertEquals(CipherSuite.AES_256_GCM, CipherSuite.parse("aes-256-gcm"));
    assertEquals(CipherSuite.CHACHA20_POLY1305, CipherSuite.parse(" CHACHA20_POLY1305 "));
    assertEquals(CipherSuite.CHACHA20_POLY1305, CipherSuite.fromWireId(2));
    assertThrows(IllegalArgumentException.class, () -> CipherSuite.parse("des"));
  }
}
