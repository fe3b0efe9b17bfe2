package io.sscmic.keysyn.recovery;

import io.sscmic.keysyn.StateFiles;
import io.sscmic.keysyn.pki.Pem;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * A node's certificate and private key, kept in its state directory ({@code node.crt},
 * {@code node.key} with mode 0600). File access: call from a worker.
 */
public record NodeIdentity(X509Certificate certificate, PrivateKey key) {
  public static final String CERT_FILE = "node.crt";
  public static final String KEY_FILE = "node.key";

  /** The identity stored in {@code dir}, or null when the node has not enrolled yet. */
  public static NodeIdentity load(Path dir) throws IOException {
    Path cert = dir.resolve(CERT_FILE);
    Path key = dir.resolve(KEY_FILE);
    if (!Files.exists(cert) || !Files.exists(key)) {
      return null;
    }
    return new NodeIdentity(Pem.certificate(Files.readString(cert)), Pem.privateKey(Files.readString(key)));
  }

  /** Key and certificate are written together: a full disk leaves both old or both new, never a mismatched pair. */
  public void store(Path dir) throws IOException {
    StateFiles.writeTogether(List.of(
        new StateFiles.Content(dir.resolve(KEY_FILE), Pem.encode(key).getBytes(StandardCharsets.US_ASCII), true),
        new StateFiles.Content(dir.resolve(CERT_FILE), Pem.encode(certificate).getBytes(StandardCharsets.US_ASCII),
            false)));
  }

  public Instant expiry() {
    return certificate.getNotAfter().toInstant();
  }
}
