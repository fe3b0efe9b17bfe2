package io.sscmic.authority.ha;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The CA private key as it is stored in etcd: envelope encryption. A fresh 32-byte data key (DEK)
 * encrypts the key's PKCS#8 bytes with AES-256-GCM; the key-encryption key ({@link
 * KeyEncryptionKey}, a local file of each replica) wraps the DEK with AES-256-GCM. Both bind the
 * envelope's version, the KEK id and the etcd key name as associated data, so an envelope moved
 * to another key name or mesh prefix does not open. The stored value is a small versioned JSON
 * object: {@code {"v":1,"alg":"AES-256-GCM","kek":"<id>","dek":"<iv|ct>","key":"<iv|ct>"}}.
 */
public final class CaKeyEnvelope {
  public static final int VERSION = 1;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private CaKeyEnvelope() {
  }

  /** Seals {@code key} for the etcd key {@code name}. */
  public static byte[] seal(PrivateKey key, KeyEncryptionKey kek, String name, SecureRandom random) {
    byte[] plain = key.getEncoded();
    try {
      return sealBytes(plain, key.getAlgorithm(), kek, name, random);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Seals any secret ({@code what} names its kind, e.g. {@code EC} or {@code chain-anchor}) for the
   * etcd key {@code name}: the same envelope as the CA key's.
   */
  public static byte[] sealBytes(byte[] plain, String what, KeyEncryptionKey kek, String name, SecureRandom random) {
    byte[] dek = new byte[32];
    random.nextBytes(dek);
    try {
      byte[] aad = aad(kek.id(), name);
      JsonObject env = new JsonObject().put("v", VERSION).put("alg", "AES-256-GCM").put("kek", kek.id())
          .put("keyAlg", what)
          .put("dek", gcm(Cipher.ENCRYPT_MODE, kek.bytes(), null, dek, aad, random))
          .put("key", gcm(Cipher.ENCRYPT_MODE, dek, null, plain, aad, random));
      return env.encode().getBytes(StandardCharsets.UTF_8);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** Opens an envelope made by {@link #sealBytes}; the caller erases the result when done. */
  public static byte[] openBytes(byte[] stored, KeyEncryptionKey kek, String name) throws Unopenable {
    JsonObject env = envelope(stored, kek, name);
    byte[] aad = aad(kek.id(), name);
    byte[] dek = null;
    try {
      dek = gcm(Cipher.DECRYPT_MODE, kek.bytes(), env.getString("dek"), null, aad, null);
      return gcm(Cipher.DECRYPT_MODE, dek, env.getString("key"), null, aad, null);
    } catch (RuntimeException e) {
      throw new Unopenable("the secret in etcd (" + name + ") does not open with the KEK " + kek.id()
          + " (tampered, or copied from another key name): " + e.getMessage());
    } finally {
      if (dek != null) {
        Arrays.fill(dek, (byte) 0);
      }
    }
  }

  private static JsonObject envelope(byte[] stored, KeyEncryptionKey kek, String name) throws Unopenable {
    JsonObject env;
    try {
      env = new JsonObject(new String(stored, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new Unopenable("the value in etcd (" + name + ") is not an envelope");
    }
    if (env.getInteger("v", -1) != VERSION) {
      throw new Unopenable("the value in etcd (" + name + ") is an envelope of version " + env.getValue("v")
          + "; this authority reads version " + VERSION);
    }
    if (!kek.id().equals(env.getString("kek"))) {
      throw new Unopenable("the CA key in etcd (" + name + ") was sealed under KEK " + env.getString("kek")
          + ", not the one in " + kek.file() + " (" + kek.id() + "): copy the KEK file of the other replicas");
    }
    return env;
  }

  /**
   * Opens an envelope stored under {@code name}.
   *
   * @throws Unopenable the envelope is not one, is of another version, was sealed under another
   *     KEK, or fails authentication (tampered, or moved from another key name)
   */
  public static PrivateKey open(byte[] stored, KeyEncryptionKey kek, String name) throws Unopenable {
    String alg = envelope(stored, kek, name).getString("keyAlg", "EC");
    byte[] plain = openBytes(stored, kek, name);
    try {
      return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(plain));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new Unopenable("the CA key in etcd (" + name + ") is not a " + alg + " private key: " + e.getMessage());
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  private static byte[] aad(String kekId, String name) {
    return ("sscmic ca key envelope v" + VERSION + "\n" + kekId + "\n" + name).getBytes(StandardCharsets.UTF_8);
  }

  /** Encrypts to base64(iv || ciphertext || tag), or decrypts that form to bytes. */
  private static <T> T gcm(int mode, byte[] key, String sealed, byte[] plain, byte[] aad, SecureRandom random) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      if (mode == Cipher.ENCRYPT_MODE) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
        c.updateAAD(aad);
        byte[] ct = c.doFinal(plain);
        byte[] out = new byte[IV_BYTES + ct.length];
        System.arraycopy(iv, 0, out, 0, IV_BYTES);
        System.arraycopy(ct, 0, out, IV_BYTES, ct.length);
        @SuppressWarnings("unchecked")
        T r = (T) Base64.getEncoder().encodeToString(out);
        return r;
      }
      byte[] in = Base64.getDecoder().decode(sealed);
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
      c.updateAAD(aad);
      @SuppressWarnings("unchecked")
      T r = (T) c.doFinal(in, IV_BYTES, in.length - IV_BYTES);
      return r;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM: " + e.getMessage(), e);
    }
  }

  /** An envelope that cannot be opened; the message says why and what to do. */
  public static final class Unopenable extends Exception {
    public Unopenable(String message) {
      super(message);
    }
  }
}
