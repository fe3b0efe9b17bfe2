package io.sscmic.gateway.cipher;

import java.util.Arrays;
import java.util.Locale;

/** The AEAD ciphers a tunnel can use; the wire id travels in the hello. */
public enum CipherSuite {
  AES_256_GCM(1),
  CHACHA20_POLY1305(2);

  private final int wireId;

  CipherSuite(int wireId) {
    this.wireId = wireId;
  }

  public int wireId() {
    return wireId;
  }

  public static CipherSuite fromWireId(int id) {
    for (CipherSuite s : values()) {
      if (s.wireId == id) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown cipher id " + id);
  }

  /** Parses a config value such as {@code aes-256-gcm} or {@code CHACHA20_POLY1305}. */
  public static CipherSuite parse(String text) {
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (CipherSuite s : values()) {
      if (s.name().equals(norm)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown cipher '" + text + "', expected one of "
        + Arrays.toString(values()).toLowerCase(Locale.ROOT).replace('_', '-'));
  }
}
