package io.sscmic.authority.ca;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.authority.store.SecretErasure;
import io.sscmic.keysyn.StateFiles;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Rotates the authority's TLS and signing certificate ({@code sscmic authority-cert rotate}): a
 * new key made here, a certificate from the mesh CA for the names the old one carried (plus any
 * new ones), written together with the key, and the old key erased. Nodes need nothing: they
 * trust the CA and check the authority's URI SAN, not a pinned key. The running authority picks
 * the new pair up within seconds. Blocking (files, key generation): the command-line thread.
 */
public final class AuthorityCertificate {
  private AuthorityCertificate() {
  }

  /** What a rotation did, for the operator. */
  public record Rotated(X509Certificate previous, X509Certificate current, List<String> names) {
  }

  public static Rotated rotate(AuthorityFiles files, Duration validity, List<String> extraHosts, SecureRandom random)
      throws IOException {
    MeshCa ca = new MeshCa(Pem.certificate(Files.readString(files.file(AuthorityFiles.CA_CERT))),
        Pem.privateKey(Files.readString(files.file(AuthorityFiles.CA_KEY))), random);
    X509Certificate previous = Pem.certificate(Files.readString(files.file(AuthorityFiles.CERT)));
    Set<String> names = new LinkedHashSet<>(hostNames(previous));
    names.addAll(extraHosts);
    KeyPair keys = NodeCertificates.newKeyPair(random);
    X509Certificate current = ca.issueAuthority(keys.getPublic(), List.copyOf(names), validity);
    // Together: a crash or a full disk leaves the old pair or the new pair, never a key beside another's certificate.
    SecretErasure.replaceTogether(List.of(
        new StateFiles.Content(files.file(AuthorityFiles.KEY),
            Pem.encode(keys.getPrivate()).getBytes(StandardCharsets.US_ASCII), true),
        new StateFiles.Content(files.file(AuthorityFiles.CERT),
            Pem.encode(current).getBytes(StandardCharsets.US_ASCII), false)));
    return new Rotated(previous, current, List.copyOf(names));
  }

  /** The DNS names and IP addresses a certificate names (not its URI SAN). */
  static List<String> hostNames(X509Certificate cert) {
    Set<String> names = new LinkedHashSet<>();
    try {
      if (cert.getSubjectAlternativeNames() != null) {
        for (List<?> n : cert.getSubjectAlternativeNames()) {
          int type = (Integer) n.get(0);
          if (type == 2 || type == 7) {
            names.add(String.valueOf(n.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("cannot read the names of the authority certificate: " + e.getMessage());
    }
    return List.copyOf(names);
  }
}
