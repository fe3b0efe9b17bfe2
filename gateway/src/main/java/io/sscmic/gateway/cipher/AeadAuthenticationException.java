package io.sscmic.gateway.cipher;

/** A frame whose AEAD tag did not verify. Carries no key material and no plaintext. */
public final class AeadAuthenticationException extends Exception {
  public AeadAuthenticationException(String message) {
    super(message, null, false, false);
  }
}
