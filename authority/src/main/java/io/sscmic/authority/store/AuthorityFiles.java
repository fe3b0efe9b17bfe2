package io.sscmic.authority.store;

import java.nio.file.Path;

/**
 * The authority's state directory: {@code authority.yaml} and, beside it under fixed names, the
 * secrets ({@code seed}, {@code ca.key}, {@code authority.key}, {@code token.key}, all 0600), the
 * public certificates and the records it keeps (used tokens, revocations, the chain anchor).
 */
public record AuthorityFiles(Path dir) {
  public static final String FILE = "authority.yaml";
  /**
   * The mesh seed: written by init for recovery-method-1 nodes, erased by the authority at its
   * first start unless method 1 is on (the authority runs from {@link #ANCHOR}).
   */
  public static final String SEED = "seed";
  /** The authority's key-chain anchor (N, K(N)), advanced on a schedule (0600). */
  public static final String ANCHOR = "anchor";
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";
  public static final String CERT = "authority.crt";
  public static final String KEY = "authority.key";
  public static final String TOKEN_KEY = "token.key";
  public static final String USED_TOKENS = "used-tokens";
  /** Revoked node ids and certificate serials ({@code serial:<hex>}), one per line (0600). */
  public static final String REVOKED = "revoked";
  /** Each node's one live certificate and enrollment time (0600), kept by the CA's IssuedCertificates. */
  public static final String CERTIFICATES = "certificates";

  public Path file(String name) {
    return dir.resolve(name);
  }
}
