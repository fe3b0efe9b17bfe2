package io.sscmic.authority.ha;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real single-member etcd (Debian's etcd-server, {@code /usr/bin/etcd}) on loopback for tests,
 * its data in a test's temporary directory. etcd cannot bind port 0, so its two ports are chosen
 * free (bound and released) and the start is retried when another process took one meanwhile.
 * Without the binary the test is skipped, except under CI ({@code CI} set), where it fails:
 * .ci/run installs etcd-server.
 */
public final class EtcdServer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/etcd");
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
    for (int attempt = 1; attempt <= 5; attempt++) {
      int clientPort = freePort();
      int peerPort = freePort();
      if (clientPort == peerPort) {
        continue;
      }
      String endpoint = "http://127.0.0.1:" + clientPort;
      String peer = "http://127.0.0.1:" + peerPort;
      Path data = dir.resolve("data-" + attempt);
      Path log = dir.resolve("etcd-" + attempt + ".log");
      Process p = new ProcessBuilder(BINARY.toString(), "--name", "t", "--data-dir", data.toString(),
          "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint, "--listen-peer-urls", peer,
          "--initial-advertise-peer-urls", peer, "--initial-cluster", "t=" + peer)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      EtcdServer server = new EtcdServer(p, endpoint, log);
      try {
        server.awaitServing(TimeUnit.SECONDS.toNanos(60));
        return server;
      } catch (AssertionError e) {
        server.close();
        last = e;
        if (!Files.readString(log).contains("address already in use")) {
          throw e;
        }
        // Another process took a port between our probe and etcd's bind: another pair.
      }
    }
    throw last != null ? last : new AssertionError("no free port pair for etcd");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Polls etcd's own health endpoint: a real answer from the member, not just an open port. */
  private void awaitServing(long timeoutNanos) throws Exception {
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

  /** The client URL, e.g. {@code http://127.0.0.1:40123}. */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }
}
