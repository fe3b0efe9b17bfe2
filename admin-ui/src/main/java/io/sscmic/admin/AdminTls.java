package io.sscmic.admin;

import java.util.Objects;

/**
 * TLS for the admin port ({@code admin.tls.cert-file} and {@code admin.tls.key-file}): PEM files,
 * read with Vert.x's file system when the port starts. With it the dashboard's cookies carry
 * {@code Secure}.
 *
 * @param certFile the server certificate chain, PEM
 * @param keyFile its private key, PEM (PKCS#8 or PKCS#1)
 */
public record AdminTls(String certFile, String keyFile) {
  public AdminTls {
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
  }
}
