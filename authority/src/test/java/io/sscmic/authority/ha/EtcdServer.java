package io.sscmic.authority.ha;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real single-member etcd (Debian's etcd-server, {@code /usr/bin/etcd}) on loopback for tests,
 * its data in a test's temporary directory. etcd cannot bind port 0, so its two ports are chosen
 * free (bound and released) and the start is retried when another process took one meanwhile.
 * Without the binary the test is skipped, except under CI ({@code CI} set), where it fails:
 * .ci/run installs etcd-server. {@link EtcdCluster} starts several members with the same helpers;
 * {@link EtcdExtension} starts one per test class.
 */
public final class EtcdServer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/etcd");
  /** How many times a start is retried when a port chosen free was taken before etcd bound it. */
  static final int ATTEMPTS = 5;
  private final Process process;
  private final String endpoint;
  private final Path log;

  private EtcdServer(Process process, String endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
  }

  /** Skips the calling test (or fails it under CI) when no etcd binary is installed. */
  public static void assumeInstalled() {
    if (Files.isExecutable(BINARY)) {
      return;
    }
    String ci = System.getenv("CI");
    if (ci != null && !ci.isBlank()) {
      throw new AssertionError("no etcd binary at " + BINARY + " under CI=" + ci
          + ": .ci/run must install etcd-server (apt-get install etcd-server)");
    }
    Assumptions.abort("no etcd binary at " + BINARY + " (apt-get install etcd-server): skipping this etcd test "
        + "(it fails instead when CI is set)");
  }

  /** Starts etcd with its data in {@code dir} and waits until it serves (at most 60 s). */
  public static EtcdServer start(Path dir) throws Exception {
    assumeInstalled();
    Files.createDirectories(dir);
    AssertionError last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      List<Integer> ports = freePorts(2);
      String endpoint = "http://127.0.0.1:" + ports.get(0);
      String peer = "http://127.0.0.1:" + ports.get(1);
      Path log = dir.resolve("etcd-" + attempt + ".log");
      Process p = launch("t", dir.resolve("data-" + attempt), endpoint, peer, "t=" + peer, "t-" + attempt, log);
      EtcdServer server = new EtcdServer(p, endpoint, log);
      try {
        awaitServing(p, endpoint, log, TimeUnit.SECONDS.toNanos(60));
        return server;
      } catch (AssertionError e) {
        server.close();
        last = e;
        if (!portTaken(log)) {
          throw e;
        }
        // Another process took a port between our probe and etcd's bind: another pair.
      }
    }
    throw last != null ? last : new AssertionError("no free port pair for etcd");
  }

  /**
   * Starts one etcd member process of the cluster {@code initialCluster} ({@code name=peerUrl,...}),
   * its output in {@code log}. {@code extra} flags go last (e.g. shorter election timeouts).
   */
  static Process launch(String name, Path data, String endpoint, String peer, String initialCluster, String token,
                        Path log, String... extra) throws IOException {
    List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--name", name, "--data-dir", data.toString(),
        "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint, "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", peer, "--initial-cluster", initialCluster,
        "--initial-cluster-token", token, "--initial-cluster-state", "new"));
    command.addAll(List.of(extra));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Whether a member's log says a port we chose free was taken before it bound it. */
  static boolean portTaken(Path log) throws IOException {
    return Files.exists(log) && Files.readString(log).contains("address already in use");
  }

  /** {@code n} distinct free loopback ports (each bound and released). */
  static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        held.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return held.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }

  /**
   * Polls etcd's own health endpoint: a real answer from the member (true only once the cluster
   * has a leader), not just an open port.
   */
  static void awaitServing(Process process, String endpoint, Path log, long timeoutNanos) throws Exception {
    long deadline = System.nanoTime() + timeoutNanos;
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .connectTimeout(java.time.Duration.ofSeconds(2)).build();
    while (true) {
      if (!process.isAlive()) {
        throw new AssertionError("etcd exited: " + Files.readString(log));
      }
      try {
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoint + "/health"))
            .timeout(java.time.Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("etcd did not serve within the timeout: " + Files.readString(log));
      }
      Thread.sleep(100);
    }
  }

  /** Ends a member: SIGTERM, then SIGKILL after 20 s. */
  static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  /** The client URL, e.g. {@code http://127.0.0.1:40123}. */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() throws Exception {
    stop(process);
  }
}
