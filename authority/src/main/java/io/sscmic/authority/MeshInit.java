package io.sscmic.authority;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.Seed;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code sscmic init}: a new mesh in one directory: the seed K0, the CA, the authority's TLS key
 * and certificate, the enrollment-token key and {@code authority.yaml}. Secrets are written 0600.
 * Blocking file and key work: call from the command line thread or a worker.
 */
public final class MeshInit {
  /** The CA outlives many node certificates; the authority's own certificate is renewed by re-running init's step. */
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** The authority's certificate; renewed with {@code sscmic authority-cert rotate}. */
  public static final Duration AUTHORITY_VALIDITY = Duration.ofDays(365);

  private MeshInit() {
  }

  /**
   * @param hosts extra names or addresses the nodes use to reach the authority (its certificate
   *     names them); the listen host, 127.0.0.1 and localhost are always included
   * @return the files written, for the user
   */
  public static List<Path> create(Path dir, Instant genesis, Duration interval, SocketAddress listen,
                                  List<String> hosts, SocketAddress adminListen, SecureRandom random)
      throws IOException {
    Path config = dir.resolve(AuthorityFiles.FILE);
    if (Files.exists(config) || Files.exists(dir.resolve(AuthorityFiles.SEED))
        || Files.exists(dir.resolve(AuthorityFiles.ANCHOR))) {
      throw new FileAlreadyExistsException(dir + " already holds a mesh (" + AuthorityFiles.FILE
          + " or seed); refusing to overwrite it");
    }
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    Path seed = dir.resolve(AuthorityFiles.SEED);
    Seed.writeNew(seed, random);
    written.add(seed);
    // The authority runs from this anchor (K0 at epoch 0) and erases the seed at its first start
    // unless recovery method 1 is on: the seed is handed out once, for method-1 nodes.
    io.sscmic.keysyn.ChainAnchor k0 = io.sscmic.keysyn.ChainAnchor.genesis(Seed.readFile(seed));
    written.add(write(dir, AuthorityFiles.ANCHOR, "0 " + HexFormat.of().formatHex(k0.key()) + "\n", true));

    MeshCa ca = MeshCa.create("sscmic mesh " + genesis, CA_VALIDITY, random);
    written.add(write(dir, AuthorityFiles.CA_KEY, Pem.encode(ca.key()), true));
    written.add(write(dir, AuthorityFiles.CA_CERT, Pem.encode(ca.certificate()), false));

    Set<String> names = new LinkedHashSet<>();
    if (!listen.host().equals("0.0.0.0") && !listen.host().equals("::")) {
      names.add(listen.host());
    }
    names.addAll(hosts);
    names.add("127.0.0.1");
    names.add("localhost");
    KeyPair keys = NodeCertificates.newKeyPair(random);
    X509Certificate cert = ca.issueAuthority(keys.getPublic(), List.copyOf(names), AUTHORITY_VALIDITY);
    written.add(write(dir, AuthorityFiles.KEY, Pem.encode(keys.getPrivate()), true));
    written.add(write(dir, AuthorityFiles.CERT, Pem.encode(cert), false));

    byte[] tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    written.add(write(dir, AuthorityFiles.TOKEN_KEY, HexFormat.of().formatHex(tokenKey) + "\n", true));

    String yaml = String.join("\n",
        "# Written by sscmic init. The files beside this one are the mesh's secrets: keep them 0600.",
        "mesh:",
        "  genesis: " + genesis + "      # the same on every node (keysyn.genesis)",
        "  interval: " + interval.toMillis() + "ms      # the key rotation interval (keysyn.interval)",
        interval.compareTo(io.sscmic.authority.chain.AuthorityAnchor.MIN_INTERVAL) < 0
            ? "  allow-short-interval: true      # under 20 s on purpose: a test or demo mesh" : "",
        "authority:",
        "  listen: " + hostPort(listen),
        "  certificate-validity: 24h      # nodes renew at two thirds of it",
        "  recovery-method1: false        # true lets nodes that hold the seed ask for the epoch only",
        "  max-renewal-age: 30d           # after it a node needs a new enrollment token (sscmic token)",
        "  anchor-advance: 24h            # how often the stored key anchor moves on (older keys erased)",
        "admin:",
        "  listen: " + (adminListen == null ? "none" : hostPort(adminListen)) + "      # /metrics, /healthz, /readyz, /status",
        "");
    written.add(write(dir, AuthorityFiles.FILE, yaml, false));
    return written;
  }

  static String hostPort(SocketAddress a) {
    return (a.host().contains(":") ? "[" + a.host() + "]" : a.host()) + ":" + a.port();
  }

  private static Path write(Path dir, String name, String text, boolean secret) throws IOException {
    Path p = dir.resolve(name);
    Pem.write(p, text, secret);
    return p;
  }

  /** The token key from {@code token.key}. */
  public static byte[] tokenKey(AuthorityFiles files) throws IOException {
    return HexFormat.of().parseHex(Files.readString(files.file(AuthorityFiles.TOKEN_KEY)).trim());
  }
}
