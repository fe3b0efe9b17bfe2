package io.sscmic.bench;

import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.IssuedCertificates;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.pki.Pem;
import io.sscmic.keysyn.recovery.AuthorityClient;
import io.sscmic.keysyn.registry.RegistryStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Issue 17 item 5 (not a test): N sidecars watching the authority's service registry, simulated in
 * one JVM, against one authority in a JVM of its own (so its CPU and heap are its own). Each
 * watcher is a real {@link AuthorityClient} with a node certificate of its own and one long-lived
 * watch stream over mutual TLS, as a sidecar holds. Measured: the authority's live heap and CPU
 * with no watcher, with N idle ones (pings only), and while R nodes register one after another;
 * for each registration, the time until every watcher has seen it (p50, p99, max over the
 * registrations) and the p99 over all (registration, watcher) pairs.
 *
 * <pre>
 * mvn -B -q -DskipTests package -pl bench -am
 * java -Xmx1g -cp bench/target/benchmarks.jar io.sscmic.bench.RegistryWatchBench [watchers=1000] [registrations=40]
 * </pre>
 * The authority runs with {@code -Xmx256m -XX:+UseSerialGC} ({@code -Dwatch.authorityOpts=...} for others).
 */
public final class RegistryWatchBench {
  private static final byte[] SEED = "registry watch bench mesh seed, 32 bytes+".getBytes(StandardCharsets.US_ASCII);

  private RegistryWatchBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("authority")) {
      authority(Path.of(args[1]));
      return;
    }
    int watchers = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int registrations = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    orchestrate(watchers, registrations);
  }

  // --- the authority, a child process: prints "ready <port>", answers "stats" ---

  private static void authority(Path dir) throws Exception {
    SecureRandom random = new SecureRandom();
    MeshCa ca = new MeshCa(Pem.certificate(Files.readString(dir.resolve("ca.crt"))),
        Pem.privateKey(Files.readString(dir.resolve("ca.key"))), random);
    Vertx vertx = Vertx.vertx();
    EpochClock clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
    KeySchedule schedule = new KeySchedule();
    vertx.deployVerticle(new KeySynVerticle("authority", clock, schedule, ChainAnchor.genesis(SEED)))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    KeyPair serverKeys = NodeCertificates.newKeyPair(random);
    X509Certificate serverCert = ca.issueAuthority(serverKeys.getPublic(), List.of("127.0.0.1"), Duration.ofDays(1));
    byte[] tokenKey = Files.readAllBytes(dir.resolve("token.key"));
    // The registry's defaults (30 s lease, 10 s renewal: a ping to each watcher every 5 s).
    AuthorityVerticle a = new AuthorityVerticle(new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24), false,
        AuthorityVerticle.Options.DEFAULT_MAX_RENEWAL_AGE, RegistrySettings.DEFAULTS), ca, serverCert,
        serverKeys.getPrivate(), new EnrollmentTokens(tokenKey), schedule, clock,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Revocations.none(),
        IssuedCertificates.inMemory());
    vertx.deployVerticle(a).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("ready " + a.port());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("cpu")) {
        out.println("cpu " + os.getProcessCpuTime());
      } else if (line.equals("heap")) {
        out.println("heap " + liveHeap() + " " + a.serviceRegistry().watchers() + " " + rssKib());
      }
    }
    System.exit(0);
  }

  /** Used heap after full collections: the live set. */
  private static long liveHeap() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static long rssKib() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      // not Linux: no RSS
    }
    return -1;
  }

  /** What the authority says: live heap after full GCs (bytes), open watch streams, RSS (KiB). */
  private record Heap(long heap, int watchers, long rssKib) {
  }

  private record Child(Process process, BufferedReader out, PrintStream in, int port) {
    private String[] ask(String what) throws Exception {
      in.println(what);
      String line = out.readLine();
      while (line != null && !line.startsWith(what + " ")) {
        line = out.readLine();
      }
      return line.split(" ");
    }

    /** The authority's process CPU time so far (ns); asked without a GC, so a window holds no GC of ours. */
    long cpu() throws Exception {
      return Long.parseLong(ask("cpu")[1]);
    }

    Heap heap() throws Exception {
      String[] f = ask("heap");
      return new Heap(Long.parseLong(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]));
    }
  }

  private static Child spawn(Path dir) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
    cmd.addAll(List.of(System.getProperty("watch.authorityOpts", "-Xmx256m -XX:+UseSerialGC").trim().split("\\s+")));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RegistryWatchBench.class.getName(),
        "authority", dir.toString()));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    while (line != null && !line.startsWith("ready ")) {
      line = out.readLine();
    }
    if (line == null) {
      throw new IllegalStateException("the authority did not start");
    }
    return new Child(p, out, new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8),
        Integer.parseInt(line.substring(6)));
  }

  // --- the orchestrator: the watchers and the registering nodes ---

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  private static void orchestrate(int n, int registrations) throws Exception {
    SecureRandom random = new SecureRandom();
    MeshCa ca = MeshCa.create("watch-bench", Duration.ofDays(1), random);
    Path dir = Files.createTempDirectory("registry-watch-bench");
    Pem.write(dir.resolve("ca.crt"), Pem.encode(ca.certificate()), false);
    Pem.write(dir.resolve("ca.key"), Pem.encode(ca.key()), true);
    // The token key, so that this process mints the enrollment tokens its nodes enroll with.
    byte[] tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    Files.write(dir.resolve("token.key"), tokenKey);
    EnrollmentTokens tokens = new EnrollmentTokens(tokenKey);
    Child authority = spawn(dir);
    Vertx vertx = Vertx.vertx();
    List<AuthorityClient> clients = new ArrayList<>();
    List<RegistryStream> streams = new ArrayList<>();
    try {
      // Registration k is seen by watcher w at seen[k].get(w) (System.nanoTime()), 0 before.
      AtomicLongArray[] seen = new AtomicLongArray[registrations];
      for (int k = 0; k < registrations; k++) {
        seen[k] = new AtomicLongArray(n);
      }
      Map<String, Integer> registrationOf = new ConcurrentHashMap<>();
      AtomicInteger snapshots = new AtomicInteger();
      long opening = System.nanoTime(); // enrolling and opening, as N sidecars starting at once
      // N nodes enroll (a token, a CSR), 10 at a time, each retried as a node retries (a handshake can
      // time out on a loaded host), then each opens one watch stream, 50 at a time.
      for (int batch = 0; batch < n; batch += 10) {
        List<Future<?>> enrolled = new ArrayList<>();
        for (int w = batch; w < Math.min(n, batch + 10); w++) {
          String node = "watcher-" + w;
          AuthorityClient c = new AuthorityClient(vertx, "127.0.0.1", authority.port(), ca.certificate(), node, random);
          clients.add(c);
          String token = tokens.issue(node, Duration.ofMinutes(30), Instant.now(), random);
          enrolled.add(retry(vertx, () -> c.enroll(token), 5));
        }
        for (Future<?> f : enrolled) {
          await(f);
        }
      }
      long enrolledMillis = (System.nanoTime() - opening) / 1_000_000;
      int idleSeconds = 20;
      // Baselines, N nodes enrolled and no stream: live heap, and the authority's own idle CPU (timers, JIT).
      Heap enrolledHeap = authority.heap();
      long cpu0 = authority.cpu();
      Thread.sleep(idleSeconds * 1000L);
      double baseCpu = (authority.cpu() - cpu0) / 1e9;
      long watching = System.nanoTime();
      for (int batch = 0; batch < n; batch += 50) {
        List<Future<RegistryStream>> opened = new ArrayList<>();
        for (int w = batch; w < Math.min(n, batch + 50); w++) {
          AuthorityClient c = clients.get(w);
          int watcher = w;
          boolean[] first = {true};
          opened.add(retry(vertx, () -> c.watchRegistry(null, Duration.ofSeconds(60), event -> {
            String type = event.getString("type");
            if ("snapshot".equals(type) && first[0]) {
              first[0] = false;
              snapshots.incrementAndGet();
            } else if ("update".equals(type) && event.getJsonObject("entry") != null) {
              Integer k = registrationOf.get(event.getString("node"));
              if (k != null) {
                seen[k].compareAndSet(watcher, 0, System.nanoTime());
              }
            }
          }), 5));
        }
        for (Future<RegistryStream> f : opened) {
          streams.add(await(f));
        }
      }
      // The first streams of a fresh authority are held for its warm-up (up to 10 s), then get their snapshot.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (snapshots.get() < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + snapshots.get() + " of " + n + " watchers got a snapshot");
        }
        Thread.sleep(50);
      }
      long openMillis = (System.nanoTime() - watching) / 1_000_000;
      Heap open = authority.heap();
      long cpu1 = authority.cpu();
      Thread.sleep(idleSeconds * 1000L);
      double idleCpu = (authority.cpu() - cpu1) / 1e9;

      // R registrations, one every 250 ms, each by a node of its own.
      List<AuthorityClient> registrars = new ArrayList<>();
      for (int k = 0; k < registrations; k++) {
        String node = "orders-" + k;
        AuthorityClient c = new AuthorityClient(vertx, "127.0.0.1", authority.port(), ca.certificate(), node, random);
        await(c.enroll(tokens.issue(node, Duration.ofMinutes(30), Instant.now(), random)));
        registrars.add(c);
        registrationOf.put(node, k);
      }
      long[] sent = new long[registrations];
      long cpu2 = authority.cpu();
      long burst = System.nanoTime();
      for (int k = 0; k < registrations; k++) {
        sent[k] = System.nanoTime();
        await(registrars.get(k).register(List.of("orders"), "10.0.0." + (k % 250 + 1), 7443));
        Thread.sleep(250);
      }
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (int k = 0; k < registrations; k++) {
        for (int w = 0; w < n; w++) {
          while (seen[k].get(w) == 0) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("watcher " + w + " never saw registration " + k);
            }
            Thread.sleep(10);
          }
        }
      }
      double burstSeconds = (System.nanoTime() - burst) / 1e9;
      double fanCpu = (authority.cpu() - cpu2) / 1e9;
      double[] toEvery = new double[registrations];
      double[] pairs = new double[registrations * n];
      for (int k = 0; k < registrations; k++) {
        long last = 0;
        for (int w = 0; w < n; w++) {
          long d = seen[k].get(w) - sent[k];
          pairs[k * n + w] = d / 1e6;
          last = Math.max(last, d);
        }
        toEvery[k] = last / 1e6;
      }
      Arrays.sort(toEvery);
      Arrays.sort(pairs);
      System.out.printf("RegistryWatchBench: %d watchers, %d registrations (one every 250 ms)%n", n, registrations);
      System.out.printf("  %d enrollments (10 at a time): %d ms; opening %d watch streams (50 at a time) until each "
          + "has its snapshot (the authority holds new streams for its warm-up, up to 10 s): %d ms%n", n,
          enrolledMillis, n, openMillis);
      System.out.printf("  registration to every watcher: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          pct(toEvery, 50), pct(toEvery, 99), toEvery[toEvery.length - 1]);
      System.out.printf("  registration to one watcher (all pairs): p50 %.1f ms, p99 %.1f ms%n", pct(pairs, 50),
          pct(pairs, 99));
      System.out.printf("  authority live heap: %.1f MiB with %d nodes enrolled and no stream, %.1f MiB with %d "
          + "streams: %.1f KiB per watcher%n", enrolledHeap.heap() / 1048576.0, n, open.heap() / 1048576.0,
          open.watchers(), (open.heap() - enrolledHeap.heap()) / 1024.0 / n);
      System.out.printf("  authority RSS: %.1f MiB -> %.1f MiB (%.1f KiB per watcher; RSS follows the heap the JVM "
          + "has committed, not the live set)%n", enrolledHeap.rssKib() / 1024.0, open.rssKib() / 1024.0,
          (open.rssKib() - enrolledHeap.rssKib()) / (double) n);
      System.out.printf("  authority CPU, %d s idle: %.3f s with no stream, %.3f s with %d (pings every 5 s): "
          + "%.2f us/s per watcher%n", idleSeconds, baseCpu, idleCpu, n, (idleCpu - baseCpu) / idleSeconds / n * 1e6);
      System.out.printf("  authority CPU during the registrations: %.3f s over %.1f s, %.1f ms per registration "
          + "(its mTLS handshake and request, and the update to %d watchers; %.1f us per delivered update)%n",
          fanCpu, burstSeconds, fanCpu * 1000 / registrations, n, fanCpu * 1e6 / registrations / n);
    } finally {
      for (RegistryStream s : streams) {
        s.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      authority.in().close();
      if (!authority.process().waitFor(20, TimeUnit.SECONDS)) {
        authority.process().destroyForcibly();
      }
      Files.deleteIfExists(dir.resolve("ca.key"));
      Files.deleteIfExists(dir.resolve("token.key"));
      Files.deleteIfExists(dir.resolve("ca.crt"));
      Files.deleteIfExists(dir);
    }
  }

  /** {@code attempt} again after a failure, 500 ms later, up to {@code times} tries in all. */
  private static <T> Future<T> retry(Vertx vertx, java.util.function.Supplier<Future<T>> attempt, int times) {
    return attempt.get().recover(e -> times <= 1 ? Future.failedFuture(e)
        : io.vertx.core.Future.<Void>future(p -> vertx.setTimer(500, t -> p.complete()))
            .compose(v -> retry(vertx, attempt, times - 1)));
  }

  private static double pct(double[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
