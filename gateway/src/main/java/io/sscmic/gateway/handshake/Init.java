package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.CipherSuite;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * INIT, the client's first record (clear, MAC'd under the epoch's chain key):
 * <pre>
 * msg u8 = 0x01 | n u8 (1..8) | versions u8[n] | cipher u8 | e_c[32] | client_random[32]
 *   | u8 len + client node id | u8 len + destination node id | u16 len + extensions (0..256) | mac[32]
 * mac = HMAC-SHA-256(HKDF(K(D), "", "sscmic/v2 init mac", 32), header || body without mac)
 * </pre>
 */
public record Init(int d, int[] versions, int cipherId, byte[] ephemeral, byte[] random, String clientId,
                   String destination, byte[] extensions, byte[] record) {
  public static final int MSG = 0x01;
  public static final int MAX_VERSIONS = 8;
  public static final int MAX_NODE_ID = 255;
  public static final int MAX_EXTENSIONS = 256;
  public static final int KEY_LENGTH = 32;
  public static final int RANDOM_LENGTH = 32;
  public static final int MAC_LENGTH = 32;
  public static final int MIN_BODY = 1 + 1 + 1 + 1 + KEY_LENGTH + RANDOM_LENGTH + 2 + 2 + 2 + MAC_LENGTH;
  public static final int MAX_BODY = 1 + 1 + MAX_VERSIONS + 1 + KEY_LENGTH + RANDOM_LENGTH + 2 * (1 + MAX_NODE_ID)
      + 2 + MAX_EXTENSIONS + MAC_LENGTH;

  /** The whole INIT record (header and body), MAC'd under {@code chainKey}. */
  public static byte[] encode(int d, int[] versions, CipherSuite suite, byte[] ephemeral, byte[] random,
                              String clientId, String destination, byte[] chainKey) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(MAX_BODY);
    body.write(MSG);
    body.write(versions.length);
    for (int v : versions) {
      body.write(v);
    }
    body.write(suite.wireId());
    body.writeBytes(ephemeral);
    body.writeBytes(random);
    writeId(body, clientId);
    writeId(body, destination);
    body.write(0);
    body.write(0);
    byte[] withoutMac = body.toByteArray();
    int length = withoutMac.length + MAC_LENGTH;
    byte[] record = new byte[Wire.HEADER_LENGTH + length];
    Wire.writeHeader(record, 0, d, Wire.TYPE_HANDSHAKE, length);
    System.arraycopy(withoutMac, 0, record, Wire.HEADER_LENGTH, withoutMac.length);
    byte[] mac = V2Kdf.hmac(macKey(chainKey), record, 0, record.length - MAC_LENGTH);
    System.arraycopy(mac, 0, record, record.length - MAC_LENGTH, MAC_LENGTH);
    return record;
  }

  private static void writeId(ByteArrayOutputStream out, String id) {
    byte[] b = id.getBytes(StandardCharsets.UTF_8);
    if (b.length < 1 || b.length > MAX_NODE_ID) {
      throw new IllegalArgumentException("node id must be 1.." + MAX_NODE_ID + " bytes of UTF-8");
    }
    out.write(b.length);
    out.writeBytes(b);
  }

  static byte[] macKey(byte[] chainKey) {
    return V2Kdf.derive(chainKey, null, "init mac", 32);
  }

  /** Parses the structure only (check order step 2); the MAC is checked by {@link #macValid}. */
  public static Init parse(byte[] record) throws HandshakeFailure {
    MessageReader r = new MessageReader(record, Wire.HEADER_LENGTH, record.length, "INIT");
    if (r.u8() != MSG) {
      throw r.malformed("not an INIT message");
    }
    int n = r.u8();
    if (n < 1 || n > MAX_VERSIONS) {
      throw r.malformed(n + " versions");
    }
    int[] versions = new int[n];
    for (int i = 0; i < n; i++) {
      versions[i] = r.u8();
    }
    int cipher = r.u8();
    byte[] e = r.bytes(KEY_LENGTH);
    byte[] random = r.bytes(RANDOM_LENGTH);
    String client = r.shortString(MAX_NODE_ID, "client node id");
    String dest = r.shortString(MAX_NODE_ID, "destination node id");
    int extLen = r.u16();
    if (extLen > MAX_EXTENSIONS) {
      throw r.malformed("extensions of " + extLen + " bytes");
    }
    byte[] ext = r.bytes(extLen);
    r.bytes(MAC_LENGTH);
    r.expectEnd();
    return new Init(Wire.d(record, 0), versions, cipher, e, random, client, dest, ext, record);
  }

  /** Constant-time check of the MAC under the chain key the receiver rule picked for D. */
  public boolean macValid(byte[] chainKey) {
    byte[] expected = V2Kdf.hmac(macKey(chainKey), record, 0, record.length - MAC_LENGTH);
    return MessageDigest.isEqual(expected, Arrays.copyOfRange(record, record.length - MAC_LENGTH, record.length));
  }
}
