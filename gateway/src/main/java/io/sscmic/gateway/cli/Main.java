package io.sscmic.gateway.cli;

import io.sscmic.gateway.process.Runtimes;
import io.sscmic.gateway.process.Shutdown;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.demo.Demo;
import io.sscmic.gateway.node.Node;
import io.sscmic.keysyn.Seed;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.process.Tracing;
import io.vertx.core.Vertx;
import java.util.Optional;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;

/** The command line: {@code node}, {@code demo}, {@code seed}. */
public final class Main {
  static final String USAGE = String.join(System.lineSeparator(),
      "sscmic " + Version.get() + " - encrypted sidecar gateway with a self-rotating shared key stream",
      "",
      "Usage:",
      "  sscmic demo [--interval 5s] [--port-base 7000]  two sidecars and two backends on 127.0.0.1, until Ctrl-C",
      "  sscmic node --config FILE          run a sidecar from a YAML config (env SSCMIC_* overrides keys)",
      "  sscmic init --dir DIR [--interval 30s] [--listen 127.0.0.1:8443] [--host NAME]... [--admin HOST:PORT]",
      "              [--genesis 2026-01-01T00:00:00Z]",
      "                                     a new mesh: seed, CA, authority key and authority.yaml (secrets 0600)",
      "  sscmic authority --config DIR/authority.yaml",
      "                                     run the authority: enrollment, key recovery, certificate renewal",
      "  sscmic token --config DIR/authority.yaml --node ID [--ttl 1h]",
      "                                     print a one-time enrollment token for node ID",
      "  sscmic reseed --config DIR/authority.yaml [--in 2m]",
      "                                     schedule a new key chain from a future epoch (post-compromise)",
      "  sscmic authority-cert rotate --config DIR/authority.yaml [--validity 365d] [--host NAME]...",
      "                                     a new key and certificate for the authority (nodes need nothing)",
      "  sscmic ca rotate --config DIR/authority.yaml --stage | --switch | --retire",
      "                                     rotate the mesh CA in three steps, nodes trusting both meanwhile",
      "  sscmic policy list|allow|deny|group|remove|revoke --config DIR/authority.yaml ...",
      "                                     the mesh's authorization policy; revoke a node (sent on the watch)",
      "  sscmic seed --out FILE              write a new random mesh seed, mode 0600 (for meshes without authority)",
      "  sscmic admin-password              read a dashboard password (stdin or prompt), print admin.password-hash",
      "  sscmic intercept install|remove|status [--config FILE]",
      "                                     program, remove or show the transparent-interception rules (root)",
      "  sscmic inject --config-map NAME [FILE]",
      "                                     add the sidecar and interception to Kubernetes workload YAML",
      "  sscmic --version | --help",
      "",
      "Options for demo and node: --debug (log every connection), --log-json (one JSON object per line)",
      "",
      "`sscmic COMMAND --help` explains one command.",
      "Docs: README.md, docs/OPERATIONS.md, docs/PROTOCOL.md, docs/SECURITY.md");

  /** {@link #COMMAND_HELP} and the commands past Map.of's ten entries. */
  static java.util.Map<String, String> allHelp() {
    java.util.Map<String, String> all = new java.util.HashMap<>(COMMAND_HELP);
    all.put("policy", PolicyCommand.HELP);
    return all;
  }

  /** {@code sscmic COMMAND --help}: what one command does, its options and their defaults. */
  static final java.util.Map<String, String> COMMAND_HELP = java.util.Map.of(
      "demo", String.join(System.lineSeparator(),
          "Usage: sscmic demo [--interval 5s] [--port-base 7000] [--debug] [--log-json]",
          "",
          "A live mesh on 127.0.0.1 until Ctrl-C: an authority (https://127.0.0.1:7443, admin 15002), two",
          "sidecars that enroll and recover their keys through it (admin 15000 and 15001) and two services;",
          "alpha also serves HTTP on 127.0.0.1:7080 (reverse proxy for /echo, forward proxy for http://echo/).",
          "  --interval D    key rotation interval (default 5s)",
          "  --port-base N   move every port by N - 7000 (default 7000: the ports above), e.g. to run a",
          "                  second demo or tests beside one"),
      "node", String.join(System.lineSeparator(),
          "Usage: sscmic node --config FILE [--debug] [--log-json]",
          "",
          "Runs a sidecar from a YAML config; SSCMIC_* environment variables override its scalar keys",
          "(docs/OPERATIONS.md, configuration reference). Waits, not ready, while the authority is",
          "unreachable. SIGTERM/SIGINT drain: stop accepting, give open streams up to 10 s. SIGHUP",
          "reloads the config file (services, outbound listeners, tunnel timeouts and limits).",
          "  --config FILE  the node's YAML config (required)",
          "  --debug        log one line per connection",
          "  --log-json     one JSON object per log line"),
      "init", String.join(System.lineSeparator(),
          "Usage: sscmic init --dir DIR [--interval 30s [--allow-short-interval]] [--listen 127.0.0.1:8443] [--host NAME]...",
          "                   [--admin 127.0.0.1:15100] [--genesis ISO-8601]",
          "",
          "Creates a new mesh in DIR: seed, ca.key, authority.key, token.key (0600), ca.crt, authority.crt",
          "and authority.yaml. Refuses a directory that already holds a mesh.",
          "  --dir DIR        where the mesh's files go (required)",
          "  --interval D     key rotation interval, the same on every node (default 30s; at least 20s, so",
          "                   that catching up after a 30-day outage takes about a second)",
          "  --allow-short-interval  accept an interval under 20s (test meshes that rotate fast on purpose)",
          "  --listen H:P     where the authority listens for nodes (default 127.0.0.1:8443)",
          "  --host NAME      a name or address nodes use to reach the authority; repeatable",
          "  --admin H:P      the authority's admin port, or none (default 127.0.0.1:15100)",
          "  --genesis T      start of the epoch count, UTC, in the past (default: the last whole minute",
          "                   minus one); set it to write node configs before the mesh exists"),
      "authority", String.join(System.lineSeparator(),
          "Usage: sscmic authority --config DIR/authority.yaml [--debug] [--log-json]",
          "",
          "Runs the authority: enrollment, key-state recovery, certificate renewal, re-seed announcements.",
          "Its secrets are read from beside authority.yaml. SIGTERM/SIGINT stop it."),
      "token", String.join(System.lineSeparator(),
          "Usage: sscmic token --config DIR/authority.yaml --node ID [--ttl 1h]",
          "",
          "Prints a one-time enrollment token for node ID on stdout (only the token), a note on stderr.",
          "  --node ID   the node.id it is for (required)",
          "  --ttl D     how long it is valid (default 1h)"),
      "reseed", String.join(System.lineSeparator(),
          "Usage: sscmic reseed --config DIR/authority.yaml [--in 2m]",
          "",
          "Schedules a new key chain from an epoch at least --in (and three intervals) ahead; the running",
          "authority announces it and every node switches at that epoch (docs/PROTOCOL.md 6.1).",
          "  --in D      lead time (default 2m)"),
      "authority-cert", String.join(System.lineSeparator(),
          "Usage: sscmic authority-cert rotate --config DIR/authority.yaml [--validity 365d] [--host NAME]...",
          "",
          "Makes a new key for the authority and a certificate for it from the mesh CA, for the names the",
          "old certificate carried plus each --host; writes both together and erases the old key. A running",
          "authority serves the new pair within a second; nodes need nothing, they trust ca.crt",
          "(docs/OPERATIONS.md, rotating the authority certificate).",
          "  --validity D   how long the new certificate is valid (default 365d, 1d to 3650d)",
          "  --host NAME    another name or address the nodes use to reach the authority; repeatable"),
      "ca", String.join(System.lineSeparator(),
          "Usage: sscmic ca rotate --config DIR/authority.yaml --stage | --switch | --retire",
          "",
          "Rotates the mesh CA in place (docs/OPERATIONS.md, rotate the CA):",
          "  --stage    a new CA beside the old one and ca-bundle.crt with both; give every node the bundle",
          "             as its authority.ca-file and restart it",
          "  --switch   the new CA issues from now on, the old one's key is erased, its node certificates",
          "             stay accepted until they expire; the authority certificate is re-issued; restart",
          "             the authority",
          "  --retire   after authority.certificate-validity: the old CA is no longer accepted"),
      "admin-password", String.join(System.lineSeparator(),
          "Usage: sscmic admin-password",
          "",
          "Reads a dashboard password (at least 12 characters) at a terminal prompt, or as the first line of",
          "stdin, never from the command line, and prints an admin.password-hash line to paste into the",
          "node's config. The password itself is not printed."),
      "seed", String.join(System.lineSeparator(),
          "Usage: sscmic seed --out FILE",
          "",
          "Writes a new random 32-byte mesh seed, mode 0600, for a mesh without an authority",
          "(keysyn.seed-file on every node). Refuses to overwrite."));

  private Main() {
  }

  public static void main(String[] args) {
    // Netty 4.2 registers JFR events for its allocator when JFR is present, which loads and
    // initializes the JFR framework (not in a CDS archive): about 0.3 s of start-up for events
    // nobody records. -Dio.netty.jfr.enabled=true brings them back.
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> a = Arrays.asList(args);
    boolean help = a.contains("--help") || a.contains("-h");
    if (help && !a.isEmpty() && (a.get(0).equals("intercept") || a.get(0).equals("inject"))) {
      // Map.of above is full (ten entries)
      out.println(a.get(0).equals("intercept") ? InterceptCommand.HELP : InjectCommand.HELP);
      return 0;
    }
    if (help && !a.isEmpty() && allHelp().containsKey(a.get(0))) {
      out.println(allHelp().get(a.get(0)));
      return 0;
    }
    if (a.size() == 2 && a.get(0).equals("help") && allHelp().containsKey(a.get(1))) {
      out.println(allHelp().get(a.get(1)));
      return 0;
    }
    if (a.isEmpty() || help || a.get(0).equals("help")) {
      out.println(USAGE);
      return a.isEmpty() ? 2 : 0;
    }
    if (a.contains("--version")) {
      out.println("sscmic " + Version.get());
      return 0;
    }
    LogFormat.install(a.contains("--debug") ? Level.FINE : Level.INFO, a.contains("--log-json"));
    try {
      switch (a.get(0)) {
        case "demo":
          return Demo.run(option(a, "--interval", "5s"), option(a, "--port-base", "7000"), out);
        case "node":
          return node(Path.of(required(a, "--config")), err);
        case "seed":
          return seed(Path.of(required(a, "--out")), out, err);
        case "init":
          return AuthorityCommands.init(a, out, err);
        case "authority":
          return AuthorityCommands.authority(Path.of(required(a, "--config")), err);
        case "token":
          return AuthorityCommands.token(a, out, err);
        case "reseed":
          return AuthorityCommands.reseed(a, out, err);
        case "authority-cert":
          return AuthorityCommands.authorityCert(a, out, err);
        case "ca":
          return AuthorityCommands.ca(a, out, err);
        case "intercept":
          return InterceptCommand.run(a, out, err);
        case "policy":
          return PolicyCommand.run(a, out, err);
        case "inject":
          return InjectCommand.run(a, System.in, out, err);
        case "admin-password":
          return adminPassword(System.console(), new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
              java.nio.charset.StandardCharsets.UTF_8)), out, err);
        default:
          err.println("unknown command '" + a.get(0) + "'");
          err.println(USAGE);
          return 2;
      }
    } catch (UsageException e) {
      err.println(e.getMessage());
      return 2;
    } catch (ConfigException e) {
      err.println("sscmic: " + e.getMessage());
      return 2;
    }
  }

  private static int node(Path config, PrintStream err) {
    NodeConfig first;
    try {
      first = readConfig(config);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: " + (cause instanceof ConfigException ? "" : "cannot start: ") + cause.getMessage());
      return 1;
    }
    PrometheusMeterRegistry registry = Runtimes.registry();
    // The tracer is Vert.x's from its creation: the tracing keys are read first (and need a restart).
    Optional<OpenTelemetrySdk> tracing = Tracing.start(first.tracing(), first.nodeId(), registry);
    Vertx vertx = Runtimes.vertx(registry, tracing.orElse(null));
    // Before the node starts: the JVM's default for SIGHUP is to exit, and a reload sent as soon as
    // the listeners answer must not stop the node.
    AtomicReference<Node> started = new AtomicReference<>();
    AtomicBoolean early = new AtomicBoolean(); // a SIGHUP to serve
    reloadOnSighup(started, early, err);
    try {
      // No time limit: a node recovering from an unreachable authority waits (and says so) until it answers.
      Node node = Node.start(vertx, first, registry, config)
          .toCompletionStage().toCompletableFuture().get();
      started.set(node);
      if (early.getAndSet(false)) {
        reload(node, err); // a SIGHUP came while starting: the file may have changed since it was read
      }
      Shutdown.await(() -> node.stop().eventually(vertx::close).eventually(() -> Tracing.stop(tracing)));
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("sscmic: " + (cause instanceof ConfigException ? "" : "cannot start: ") + cause.getMessage());
      vertx.close().eventually(() -> Tracing.stop(tracing));
      return 1;
    }
  }

  /** The config file, read with a short-lived Vert.x: the node's own needs the tracing keys first. */
  private static NodeConfig readConfig(Path config) throws Exception {
    Vertx boot = Vertx.vertx();
    try {
      return ConfigLoader.load(boot, config).toCompletionStage().toCompletableFuture().get();
    } finally {
      boot.close();
    }
  }

  /** SIGHUP reloads the config file, as the dashboard's "Reload config" does (where the JVM lets us). */
  @SuppressWarnings("restriction")
  private static void reloadOnSighup(AtomicReference<Node> started,
                                     AtomicBoolean early, PrintStream err) {
    try {
      // The flag is set first and taken by whichever side sees the node: one reload, never none.
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
        early.set(true);
        Node node = started.get();
        if (node == null) {
          err.println("sscmic: SIGHUP: the node is still starting; it reloads once started");
        } else if (early.getAndSet(false)) {
          reload(node, err);
        }
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      err.println("sscmic: SIGHUP reload unavailable here (" + e.getMessage() + "); use the dashboard");
    }
  }

  private static void reload(Node node, PrintStream err) {
    node.reload().onSuccess(r -> err.println("sscmic: SIGHUP: config reload " + r.getString("outcome") + ": "
        + r.getString("message")));
  }

  /**
   * Hashes a dashboard password for {@code admin.password-hash}: read without echo from the
   * terminal, or as the first line of stdin (scripts), never from the command line (shell history).
   */
  static int adminPassword(java.io.Console console, java.io.BufferedReader stdin, PrintStream out, PrintStream err) {
    char[] password;
    try {
      password = console != null ? console.readPassword("dashboard password: ")
          : java.util.Optional.ofNullable(stdin.readLine()).map(String::toCharArray).orElse(null);
    } catch (java.io.IOException e) {
      err.println("sscmic: cannot read the password: " + e.getMessage());
      return 1;
    }
    if (password == null || password.length < 12) {
      err.println("sscmic: the dashboard password must have at least 12 characters");
      return 1;
    }
    String hash = io.sscmic.admin.ui.PasswordHash.hash(password, new SecureRandom());
    Arrays.fill(password, ' ');
    out.println("admin:");
    out.println("  password-hash: \"" + hash + "\"");
    return 0;
  }

  private static int seed(Path out, PrintStream stdout, PrintStream err) {
    try {
      Seed.writeNew(out, new SecureRandom());
      stdout.println("wrote a new mesh seed to " + out.toAbsolutePath() + " (mode 0600);"
          + " copy it to every node of the mesh over a secure channel");
      return 0;
    } catch (FileAlreadyExistsException e) {
      err.println("sscmic: " + out + " exists; refusing to overwrite a mesh seed");
      return 1;
    } catch (Exception e) {
      err.println("sscmic: cannot write " + out + ": " + e.getMessage());
      return 1;
    }
  }

  static String required(List<String> a, String flag) {
    String v = option(a, flag, null);
    if (v == null) {
      throw new UsageException(a.get(0) + " needs " + flag + " (see --help)");
    }
    return v;
  }

  static String option(List<String> a, String flag, String dflt) {
    int i = a.indexOf(flag);
    if (i < 0) {
      return dflt;
    }
    if (i + 1 >= a.size()) {
      throw new UsageException(flag + " needs a value");
    }
    return a.get(i + 1);
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
