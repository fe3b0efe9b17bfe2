package io.sscmic.authority.ca;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.authority.store.SecretErasure;
import io.sscmic.keysyn.StateFiles;
import io.sscmic.keysyn.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Rotating the mesh CA in place ({@code sscmic ca rotate}), in three steps with a cross-trusted
 * transition:
 * <ol>
 *   <li>{@link #stage}: a new CA ({@code ca-next.key}, {@code ca-next.crt}) and
 *       {@code ca-bundle.crt} with the old and the new CA, which the operator gives every node as
 *       its {@code authority.ca-file}. Nothing changes for the authority.</li>
 *   <li>{@link #switchOver}: the new CA becomes {@code ca.crt}/{@code ca.key} and issues from now on;
 *       the old certificate moves to {@code ca-previous.crt} (node certificates it issued are still
 *       accepted until they expire; they renew under the new CA), the old CA key is erased, and
 *       the authority's own certificate is re-issued by the new CA. Restart the authority.</li>
 *   <li>{@link #retire}: once every node certificate of the old CA has expired (one
 *       certificate validity after the switch), {@code ca-previous.crt} goes and
 *       {@code ca-bundle.crt} holds the new CA only.</li>
 * </ol>
 * Blocking (files, key generation): the command-line thread.
 */
public final class CaRotation {
  public static final String NEXT_CERT = "ca-next.crt";
  public static final String NEXT_KEY = "ca-next.key";
  public static final String PREVIOUS = "ca-previous.crt";
  public static final String BUNDLE = "ca-bundle.crt";
  static final Duration CA_VALIDITY = Duration.ofDays(3650);

  /** Why a step cannot be taken now, in words for the operator. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  private CaRotation() {
  }

  public static X509Certificate stage(AuthorityFiles files, SecureRandom random) throws IOException, Refused {
    if (Files.exists(files.file(NEXT_CERT)) || Files.exists(files.file(NEXT_KEY))) {
      throw new Refused("a new CA is already staged (" + files.file(NEXT_CERT) + "); run --switch, or delete "
          + NEXT_CERT + " and " + NEXT_KEY + " to start over");
    }
    if (Files.exists(files.file(PREVIOUS))) {
      throw new Refused("the previous rotation is not retired yet (" + files.file(PREVIOUS) + "); run --retire first");
    }
    MeshCa next = MeshCa.create("sscmic mesh " + Instant.now(), CA_VALIDITY, random);
    X509Certificate current = Pem.certificate(Files.readString(files.file(AuthorityFiles.CA_CERT)));
    StateFiles.writeTogether(List.of(
        new StateFiles.Content(files.file(NEXT_KEY), ascii(Pem.encode(next.key())), true),
        new StateFiles.Content(files.file(NEXT_CERT), ascii(Pem.encode(next.certificate())), false),
        new StateFiles.Content(files.file(BUNDLE), ascii(Pem.encode(current) + Pem.encode(next.certificate())),
            false)));
    return next.certificate();
  }

  /**
   * @param authorityValidity the validity of the re-issued authority certificate
   * @return the new authority certificate
   */
  public static X509Certificate switchOver(AuthorityFiles files, Duration authorityValidity, SecureRandom random)
      throws IOException, Refused {
    if (!Files.exists(files.file(NEXT_CERT)) || !Files.exists(files.file(NEXT_KEY))) {
      throw new Refused("no new CA is staged: run sscmic ca rotate --stage first, and give every node "
          + BUNDLE + " as its authority.ca-file");
    }
    String oldCert = Files.readString(files.file(AuthorityFiles.CA_CERT));
    String newCert = Files.readString(files.file(NEXT_CERT));
    String newKey = Files.readString(files.file(NEXT_KEY));
    // The old CA's certificate stays for verifying the node certificates it issued; its key goes.
    StateFiles.write(files.file(PREVIOUS), ascii(oldCert), false);
    SecretErasure.replaceTogether(List.of(
        new StateFiles.Content(files.file(AuthorityFiles.CA_KEY), ascii(newKey), true),
        new StateFiles.Content(files.file(AuthorityFiles.CA_CERT), ascii(newCert), false)));
    SecretErasure.wipe(files.file(NEXT_KEY));
    Files.deleteIfExists(files.file(NEXT_CERT));
    return AuthorityCertificate.rotate(files, authorityValidity, List.of(), random).current();
  }

  /**
   * @param certificateValidity the authority's node certificate validity: node certificates from
   *     the old CA are all expired once this long has passed since the switch
   */
  public static void retire(AuthorityFiles files, Duration certificateValidity, Instant now)
      throws IOException, Refused {
    Path previous = files.file(PREVIOUS);
    if (!Files.exists(previous)) {
      throw new Refused("no previous CA to retire (" + previous + " does not exist)");
    }
    Instant switched = Files.getLastModifiedTime(previous).toInstant();
    Instant safe = switched.plus(certificateValidity).plusSeconds(60);
    if (now.isBefore(safe)) {
      throw new Refused("node certificates from the previous CA may be valid until " + safe + " (the switch was at "
          + switched + ", plus authority.certificate-validity); retire after that");
    }
    List<X509Certificate> keep = new ArrayList<>();
    keep.add(Pem.certificate(Files.readString(files.file(AuthorityFiles.CA_CERT))));
    StateFiles.write(files.file(BUNDLE), ascii(Pem.encode(keep.get(0))), false);
    Files.delete(previous);
  }

  /** The CAs whose node certificates the authority still accepts besides its own (none outside a rotation). */
  public static List<X509Certificate> previous(AuthorityFiles files) throws IOException {
    Path p = files.file(PREVIOUS);
    return Files.exists(p) ? Pem.certificates(Files.readString(p)) : List.of();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
