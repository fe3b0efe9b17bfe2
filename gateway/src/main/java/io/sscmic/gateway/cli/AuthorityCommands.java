package io.sscmic.gateway.cli;

import io.sscmic.gateway.process.Runtimes;
import io.sscmic.gateway.process.Shutdown;
import io.sscmic.authority.store.AuthorityFiles;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.authority.AuthorityConfig;
import io.sscmic.gateway.authority.AuthorityRole;
import io.sscmic.authority.ca.AuthorityCertificate;
import io.sscmic.authority.ca.CaRotation;
import java.security.cert.X509Certificate;
import io.sscmic.authority.chain.AuthorityAnchor;
import io.sscmic.authority.chain.ChainFile;
import io.sscmic.authority.MeshInit;
import io.sscmic.authority.chain.Reseed;
import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.NodeConfigParser;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** {@code init}, {@code authority} and {@code token}: setting up and running a mesh's authority. */
final class AuthorityCommands {
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private AuthorityCommands() {
  }

  static int init(List<String> a, PrintStream out, PrintStream err) {
    Path dir = Path.of(Main.required(a, "--dir"));
    Duration interval = NodeConfigParser.duration(Main.option(a, "--interval", "30s"), "--interval", null);
    if (interval.compareTo(AuthorityAnchor.MIN_INTERVAL) < 0 && !a.contains("--allow-short-interval")) {
      // Issue 14 item 10: the key chain is a hash chain, so a restart after an outage ratchets every epoch missed.
      // Test meshes and labs that rotate fast on purpose say so with the flag.
      err.println("sscmic: --interval " + interval.toMillis() + "ms: at least " + AuthorityAnchor.MIN_INTERVAL.toSeconds()
          + "s, so that an authority restarted after a 30-day outage is ready within about a second ("
          + AuthorityAnchor.stepsToCatchUp(AuthorityAnchor.OUTAGE, java.time.Duration.ofDays(1), interval)
          + " ratchet steps at this interval); add --allow-short-interval for a test mesh that rotates fast on purpose");
      return 2;
    }
    SocketAddress listen = NodeConfigParser.address(Main.option(a, "--listen", "127.0.0.1:8443"), "--listen");
    SocketAddress admin = NodeConfigParser.address(Main.option(a, "--admin", "127.0.0.1:15100"), "--admin");
    List<String> hosts = new ArrayList<>();
    for (int i = 0; i < a.size() - 1; i++) {
      if (a.get(i).equals("--host")) {
        hosts.add(a.get(i + 1));
      }
    }
    // A genesis in the recent past: the chain then has a previous key from the first second. An
    // operator may fix it (--genesis) to write node configs (a ConfigMap, a compose file) up front.
    Instant genesis = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES);
    String fixed = Main.option(a, "--genesis", null);
    if (fixed != null) {
      try {
        genesis = Instant.parse(fixed);
      } catch (java.time.format.DateTimeParseException e) {
        err.println("sscmic: --genesis '" + fixed + "': expected an ISO-8601 UTC instant such as 2026-01-01T00:00:00Z");
        return 2;
      }
      if (genesis.isAfter(Instant.now().minus(interval))) {
        err.println("sscmic: --genesis " + genesis + " must lie at least one interval in the past");
        return 2;
      }
    }
    try {
      List<Path> files = MeshInit.create(dir, genesis, interval, listen, hosts, admin, new SecureRandom());
      out.println("created a new mesh in " + dir.toAbsolutePath() + ":");
      for (Path f : files) {
        out.println("  " + f.getFileName() + (f.getFileName().toString().matches("seed|anchor|.*\\.key")
            ? "   (secret, 0600)" : ""));
      }
      out.println();
      out.println("Next:");
      out.println("  sscmic authority --config " + dir.resolve(AuthorityFiles.FILE));
      out.println("  sscmic token --config " + dir.resolve(AuthorityFiles.FILE) + " --node NODE_ID   # one per node");
      out.println("Each node's config then needs:");
      out.println("  keysyn:    { genesis: " + genesis + ", interval: " + interval.toMillis() + "ms }");
      out.println("  authority: { url: https://" + (hosts.isEmpty() ? listen.host() : hosts.get(0)) + ":" + listen.port()
          + ", ca-file: /etc/sscmic/ca.crt, state-dir: /var/lib/sscmic, token-file: /etc/sscmic/token }");
      out.println("with ca.crt copied from here (it is public) and the node's token in its token-file.");
      out.println("The seed is only for nodes that recover by method 1 (they hold it): the authority runs from its"
          + " anchor and erases the seed at its first start unless authority.recovery-method1 is true.");
      return 0;
    } catch (FileAlreadyExistsException e) {
      err.println("sscmic: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("sscmic: cannot create the mesh in " + dir + ": " + e.getMessage());
      return 1;
    }
  }

  static int authority(Path config, PrintStream err) {
    PrometheusMeterRegistry registry = Runtimes.registry();
    Vertx vertx = Runtimes.vertx(registry);
    try {
      AuthorityRole role = AuthorityConfig.load(vertx, config)
          .compose(cfg -> AuthorityRole.start(vertx, cfg, registry))
          .toCompletionStage().toCompletableFuture().get();
      Shutdown.await(() -> role.stop().eventually(vertx::close));
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: " + (cause instanceof ConfigException ? "" : "cannot start the authority: ")
          + cause.getMessage());
      vertx.close();
      return 1;
    }
  }

  /**
   * Schedules a new key chain from a future epoch (post-compromise security): appends it to the
   * authority's chain file, which the running authority watches and announces to the nodes.
   */
  static int reseed(List<String> a, PrintStream out, PrintStream err) {
    Path config = Path.of(Main.required(a, "--config"));
    Duration lead = NodeConfigParser.duration(Main.option(a, "--in", "2m"), "--in", null);
    Vertx vertx = Vertx.vertx();
    try {
      AuthorityConfig cfg = AuthorityConfig.load(vertx, config).toCompletionStage().toCompletableFuture().get();
      if (lead.compareTo(Duration.ofMinutes(1)) < 0) {
        err.println("sscmic: note: nodes ask the authority every authority.refresh (default 30s); with less lead than"
            + " twice that, some may learn of the re-seed after it and adopt it only then");
      }
      out.println(Reseed.schedule(cfg.files(), new EpochClock(cfg.genesis(), cfg.interval()), cfg.method1(), lead,
          new SecureRandom()));
      out.println("The running authority announces it within a second; nodes learn it when they next ask"
          + " (authority.refresh, default 30s) and switch at that epoch. A node that misses it adopts the new"
          + " chain at its next contact.");
      return 0;
    } catch (Reseed.Refused e) {
      err.println("sscmic: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: cannot schedule a re-seed: " + cause.getMessage());
      return 1;
    } finally {
      vertx.close();
    }
  }

  /**
   * {@code authority-cert rotate}: a new key and certificate for the authority, from the mesh CA,
   * for the names the old one had plus any {@code --host}; the old key is erased. The running
   * authority serves the new pair within a second; nodes need nothing (they trust the CA).
   */
  static int authorityCert(List<String> a, PrintStream out, PrintStream err) {
    if (a.size() < 2 || !a.get(1).equals("rotate")) {
      err.println("sscmic: authority-cert: expected 'rotate' (sscmic authority-cert rotate --config FILE)");
      return 2;
    }
    Path config = Path.of(Main.required(a, "--config"));
    Duration validity = NodeConfigParser.duration(Main.option(a, "--validity", "365d"), "--validity", null);
    if (validity.compareTo(Duration.ofDays(1)) < 0 || validity.compareTo(Duration.ofDays(3650)) > 0) {
      err.println("sscmic: --validity " + validity + ": between 1d and 3650d");
      return 2;
    }
    List<String> hosts = new ArrayList<>();
    for (int i = 0; i < a.size() - 1; i++) {
      if (a.get(i).equals("--host")) {
        hosts.add(a.get(i + 1));
      }
    }
    Vertx vertx = Vertx.vertx();
    try {
      AuthorityConfig cfg = AuthorityConfig.load(vertx, config).toCompletionStage().toCompletableFuture().get();
      AuthorityCertificate.Rotated r = AuthorityCertificate.rotate(cfg.files(), validity, hosts, new SecureRandom());
      out.println("rotated the authority certificate in " + cfg.dir() + ":");
      out.println("  old: serial " + r.previous().getSerialNumber().toString(16) + ", valid until "
          + r.previous().getNotAfter().toInstant() + " (its key is erased)");
      out.println("  new: serial " + r.current().getSerialNumber().toString(16) + ", valid until "
          + r.current().getNotAfter().toInstant() + ", names " + String.join(", ", r.names()));
      out.println("A running authority serves it within a second; nodes need nothing (they trust ca.crt).");
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: cannot rotate the authority certificate: " + cause.getMessage());
      return 1;
    } finally {
      vertx.close();
    }
  }

  /**
   * {@code ca rotate --stage | --switch | --retire}: the mesh CA rotated in place with a
   * cross-trusted transition (see {@link CaRotation} and OPERATIONS.md "Rotate the CA").
   */
  static int ca(List<String> a, PrintStream out, PrintStream err) {
    List<String> steps = a.stream().filter(x -> x.equals("--stage") || x.equals("--switch") || x.equals("--retire"))
        .toList();
    if (a.size() < 2 || !a.get(1).equals("rotate") || steps.size() != 1) {
      err.println("sscmic: ca: expected 'rotate' and one of --stage, --switch, --retire (sscmic ca --help)");
      return 2;
    }
    Path config = Path.of(Main.required(a, "--config"));
    Vertx vertx = Vertx.vertx();
    try {
      AuthorityConfig cfg = AuthorityConfig.load(vertx, config).toCompletionStage().toCompletableFuture().get();
      switch (steps.get(0)) {
        case "--stage" -> {
          X509Certificate next = CaRotation.stage(cfg.files(), new SecureRandom());
          out.println("staged a new CA (serial " + next.getSerialNumber().toString(16) + ") in " + cfg.dir()
              + "; nothing changed for the running mesh.");
          out.println("Next: give every node " + cfg.file(CaRotation.BUNDLE) + " (the old and the new CA) as its"
              + " authority.ca-file and restart it; then run sscmic ca rotate --switch.");
        }
        case "--switch" -> {
          X509Certificate authority = CaRotation.switchOver(cfg.files(), MeshInit.AUTHORITY_VALIDITY,
              new SecureRandom());
          out.println("the new CA issues from now on; the old CA's key is erased and its certificate kept as "
              + CaRotation.PREVIOUS + " (its node certificates stay accepted until they expire).");
          out.println("The authority certificate was re-issued by the new CA (serial "
              + authority.getSerialNumber().toString(16) + "). Restart the authority now; nodes renew under the"
              + " new CA within " + cfg.certificateValidity() + ". Then, after that, run sscmic ca rotate --retire.");
        }
        default -> {
          CaRotation.retire(cfg.files(), cfg.certificateValidity(), Instant.now());
          out.println("retired the previous CA: " + CaRotation.BUNDLE + " now holds the new CA only; give it to the"
              + " nodes as their authority.ca-file when convenient, and restart the authority.");
        }
      }
      return 0;
    } catch (CaRotation.Refused e) {
      err.println("sscmic: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: cannot rotate the CA: " + cause.getMessage());
      return 1;
    } finally {
      vertx.close();
    }
  }

  static int token(List<String> a, PrintStream out, PrintStream err) {
    Path config = Path.of(Main.required(a, "--config"));
    String node = Main.required(a, "--node");
    if (!NODE_ID.matcher(node).matches()) {
      err.println("sscmic: --node '" + node + "': letters, digits, '.', '_' or '-', at most 63 characters");
      return 2;
    }
    if (io.sscmic.keysyn.pki.NodeCertificates.isReserved(node)) {
      err.println("sscmic: --node '" + node + "': reserved for the authority itself; choose another node id");
      return 2;
    }
    Duration ttl = NodeConfigParser.duration(Main.option(a, "--ttl", "1h"), "--ttl", null);
    Vertx vertx = Vertx.vertx();
    try {
      AuthorityConfig cfg = AuthorityConfig.load(vertx, config).toCompletionStage().toCompletableFuture().get();
      String token = AuthorityRole.issueToken(cfg, node, ttl);
      // The token alone on stdout, so that $(sscmic token ...) works; the explanation on stderr.
      out.println(token);
      err.println("sscmic: one-time enrollment token for node '" + node + "', valid until "
          + Instant.now().plus(ttl).truncatedTo(ChronoUnit.SECONDS) + "; put it in the node's authority.token-file");
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: cannot issue a token: " + cause.getMessage());
      return 1;
    } finally {
      vertx.close();
    }
  }
}
