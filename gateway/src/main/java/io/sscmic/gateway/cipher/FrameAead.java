package io.sscmic.gateway.cipher;

/**
 * One AEAD key bound to one connection, one direction and one epoch.
 *
 * <p>Instances are not thread-safe: each belongs to the event loop of its connection. The caller
 * guarantees that a nonce is never used twice with one instance (the frame layer uses a sequence
 * number), so implementations may keep cipher objects between calls.
 */
public interface FrameAead {
  int KEY_LENGTH = 32;
  int NONCE_LENGTH = 12;
  int TAG_LENGTH = 16;

  /**
   * Encrypts {@code in[inOff, inOff+inLen)} and writes ciphertext followed by the 16-byte tag to
   * {@code out} at {@code outOff}; {@code out} may not overlap {@code in}.
   *
   * @return the number of bytes written, always {@code inLen + TAG_LENGTH}
   */
  int seal(byte[] nonce, byte[] aad, int aadOff, int aadLen,
           byte[] in, int inOff, int inLen, byte[] out, int outOff);

  /**
   * Checks the tag and decrypts {@code in[inOff, inOff+inLen)} (ciphertext followed by tag) into
   * {@code out} at {@code outOff}. Nothing is written to {@code out} unless the tag is valid.
   *
   * @return the plaintext length, {@code inLen - TAG_LENGTH}
   * @throws AeadAuthenticationException when the tag does not match (tampered, replayed,
   *     reordered or sealed under another key)
   */
  int open(byte[] nonce, byte[] aad, int aadOff, int aadLen,
           byte[] in, int inOff, int inLen, byte[] out, int outOff) throws AeadAuthenticationException;
}
