/** AEAD ciphers (AES-256-GCM, ChaCha20-Poly1305) behind one interface, JDK or Bouncy Castle. */
package io.sscmic.gateway.cipher;
