package io.sscmic.keysyn.recovery;

import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * Protects a key state on its way from the authority to a recovering node: HPKE (RFC 9180, base
 * mode, X25519, HKDF-SHA-256, AES-256-GCM) to a fresh key pair the node generated for this request,
 * then an ECDSA signature by the authority over everything, bound to the node's id and its
 * request nonce. A recorded answer is useless: the next request has a new nonce and a new key.
 */
public final class RecoveryCrypto {
  static final byte[] INFO = "sscmic/v1 recovery".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SIGNED_LABEL = "sscmic/v1 recovery answer".getBytes(StandardCharsets.US_ASCII);

  private RecoveryCrypto() {
  }

  public static HPKE hpke() {
    return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
  }

  /** The associated data: node id, epoch and the node's nonce. */
  static byte[] aad(String node, long epoch, byte[] nonce) {
    byte[] id = node.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(id.length + 8 + nonce.length).put(id).putLong(epoch).put(nonce).array();
  }

  /** What a recovering node learns: the state r and, when a re-seed is announced, the next chain. */
  public record Recovered(KeyState state, ChainAnchor nextChain) {
  }

  static final int PLAINTEXT_LENGTH = 1 + 32 + 32 + 1 + 8 + 32;

  static byte[] plaintext(KeyState state, ChainAnchor nextChain) {
    ByteBuffer b = ByteBuffer.allocate(PLAINTEXT_LENGTH);
    boolean hasPrevious = state.roleFor(state.tc() - 1 & 0xFFFF) != null;
    b.put((byte) (hasPrevious ? 1 : 0));
    b.put(hasPrevious ? state.chainKey(KeyRole.PREVIOUS) : new byte[32]);
    b.put(state.chainKey(KeyRole.CURRENT));
    b.put((byte) (nextChain != null ? 1 : 0));
    b.putLong(nextChain != null ? nextChain.epoch() : 0);
    b.put(nextChain != null ? nextChain.key() : new byte[32]);
    return b.array();
  }

  static Recovered state(long epoch, byte[] plaintext) {
    if (plaintext.length != PLAINTEXT_LENGTH) {
      throw new IllegalArgumentException("recovered state has the wrong length");
    }
    ByteBuffer b = ByteBuffer.wrap(plaintext);
    boolean hasPrevious = b.get() == 1;
    byte[] prev = new byte[32];
    byte[] cur = new byte[32];
    b.get(prev).get(cur);
    boolean hasNext = b.get() == 1;
    long nextEpoch = b.getLong();
    byte[] nextKey = new byte[32];
    b.get(nextKey);
    KeyState state = KeyState.of(epoch, hasPrevious ? prev : null, cur);
    ChainAnchor next = hasNext && nextEpoch > epoch ? new ChainAnchor(nextEpoch, nextKey) : null;
    if (next != null && next.epoch() == epoch + 1) {
      state = state.withNext(nextKey);
    }
    return new Recovered(state, next);
  }

  /** Seals r for the requester; returns {enc, ct}. */
  public static byte[][] seal(byte[] requesterPublicKey, String node, long epoch, byte[] nonce, KeyState state,
                              ChainAnchor nextChain) {
    HPKE hpke = hpke();
    try {
      byte[][] ctEnc = hpke.seal(hpke.deserializePublicKey(requesterPublicKey), INFO, aad(node, epoch, nonce),
          plaintext(state, nextChain), null, null, null);
      return new byte[][] {ctEnc[1], ctEnc[0]};
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Recovered open(AsymmetricCipherKeyPair requester, String node, long epoch, byte[] nonce, byte[] enc,
                              byte[] ct) {
    try {
      return state(epoch, hpke().open(enc, requester, INFO, aad(node, epoch, nonce), ct, null, null, null));
    } catch (InvalidCipherTextException e) {
      throw new IllegalArgumentException("the recovery answer does not decrypt (not for this request)");
    }
  }

  /** The bytes the authority signs. */
  public static byte[] signedBytes(String node, long epoch, byte[] nonce, byte[] requesterKey, byte[] enc, byte[] ct) {
    byte[] id = node.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(SIGNED_LABEL.length + 4 + id.length + 8 + 4 * 4 + nonce.length + requesterKey.length
            + enc.length + ct.length)
        .put(SIGNED_LABEL).putInt(id.length).put(id).putLong(epoch)
        .putInt(nonce.length).put(nonce).putInt(requesterKey.length).put(requesterKey)
        .putInt(enc.length).put(enc).putInt(ct.length).put(ct).array();
  }

  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
