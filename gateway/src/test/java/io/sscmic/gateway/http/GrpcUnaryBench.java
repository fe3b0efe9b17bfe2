package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded gRPC unary benchmark, run on demand only (its name is not a test's, so the suite does
 * not pick it up: {@code -Dtest=GrpcUnaryBench}): grpc-java
 * with {@value #CONCURRENCY} calls in flight against the grpc-java server directly, through a
 * sidecar pair in HTTP mode (h2c both hops) on tunnel v2 (each call a request stream on the v2 peer
 * pool, {@code peer-node} set) and through a pair on tunnel v1 (the loopback tunnel entry),
 * everything on loopback: 20 s of warm-up per path ({@code -Dgrpc.bench.warmup}), then 3 rounds
 * ({@code -Dgrpc.bench.rounds}) of 8 s per path ({@code -Dgrpc.bench.seconds}), alternating. Prints
 * calls/s, p50 and p99 of each, the ratios of each round and the medians. Asserts only that every call
 * succeeded (a benchmark of failures would be meaningless).
 */
class GrpcUnaryBench {
  private static final int CONCURRENCY = 32;
  private static final int SECONDS = Integer.getInteger("grpc.bench.seconds", 8);
  private static final int WARMUP_SECONDS = Integer.getInteger("grpc.bench.warmup", 20);
  private static final int ROUNDS = Integer.getInteger("grpc.bench.rounds", 3);
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final TestIdentities MESH = new TestIdentities("grpc-bench-v2");
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  @TempDir
  Path dir;

  private record Run(double perSecond, double p50ms, double p99ms, long failures) {
  }

  @Test
  void unaryCallsDirectAndThroughThePair() throws Exception {
    Vertx vertx = testVertx.get();
    Instant genesis = Instant.now().minusSeconds(3600);
    try (GrpcEcho backend = new GrpcEcho()) {
      Node server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "echo", backend.port());
      HttpModeConfig http = new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "echo", null)),
          Map.of("echo", List.of(loopback(server.tunnelPort()))), Duration.ofSeconds(30), 64, false)
          .withProtocols(Map.of("echo", ServiceProtocol.H2C));
      Node client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http,
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      Node bravo = HttpMesh.await(Node.start(vertx, TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL,
          HttpMesh.SEED, Map.of("echo", loopback(backend.port()))), MESH, dir, null),
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
      HttpModeConfig httpV2 = new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "echo", null)),
          Map.of("echo", List.of(loopback(bravo.tunnelPort()))), Duration.ofSeconds(30), 64, false)
          .withProtocols(Map.of("echo", ServiceProtocol.H2C)).withPeerNodes(Map.of("echo", "bravo"));
      Node alpha = HttpMesh.await(Node.start(vertx, TestMesh.v2(TestMesh.httpClient("alpha", genesis, INTERVAL,
          HttpMesh.SEED, httpV2), MESH, dir, null), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
      // Warm-up first (the nodes share this JVM: C2 is still compiling their data path after tens
      // of seconds here, so a short warm-up measures the compiler), then rounds that alternate the
      // three paths, so that the machine's load drifts over all of them alike.
      int[] ports = {backend.port(), alpha.httpPort(), client.httpPort()};
      String[] names = {"direct", "pair v2", "pair v1"};
      for (int port : ports) {
        run(port, WARMUP_SECONDS);
      }
      double[][] rates = new double[3][ROUNDS];
      long failures = 0;
      System.out.printf("grpc unary, %d in flight, %d s each after %d s of warm-up per path, 16-byte messages%n",
          CONCURRENCY, SECONDS, WARMUP_SECONDS);
      for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < ports.length; i++) {
          Run run = run(ports[i], SECONDS);
          rates[i][r] = run.perSecond;
          failures += run.failures;
          System.out.printf("round %d %-8s %6.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", r + 1, names[i] + ":",
              run.perSecond, run.p50ms, run.p99ms);
        }
        System.out.printf("round %d ratio v2/direct %.2f, v1/direct %.2f%n", r + 1, rates[1][r] / rates[0][r],
            rates[2][r] / rates[0][r]);
      }
      System.out.printf("median calls/s: direct %.0f, pair v2 %.0f (%.2fx), pair v1 %.0f (%.2fx)%n",
          median(rates[0]), median(rates[1]), median(rates[1]) / median(rates[0]), median(rates[2]),
          median(rates[2]) / median(rates[0]));
      assertEquals(0, failures, "every call succeeded");
      assertTrue(median(rates[1]) > 0 && median(rates[2]) > 0);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static Run run(int port, int seconds) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      byte[] msg = GrpcEcho.utf8("0123456789abcdef");
      // The channel's connection, before the clock starts.
      for (int i = 0; i < 50; i++) {
        ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, CallOptions.DEFAULT.withDeadlineAfter(20,
            TimeUnit.SECONDS), msg);
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      AtomicLong done = new AtomicLong();
      AtomicLong failures = new AtomicLong();
      long[][] latencies = new long[CONCURRENCY][];
      int[] counts = new int[CONCURRENCY];
      CountDownLatch finished = new CountDownLatch(CONCURRENCY);
      long start = System.nanoTime();
      for (int w = 0; w < CONCURRENCY; w++) {
        latencies[w] = new long[1 << 16]; // 64 Ki calls per worker: 10x a run's, without 256 MB of garbage per run
        int worker = w;
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
          if (System.nanoTime() >= end) {
            finished.countDown();
            return;
          }
          long t0 = System.nanoTime();
          ClientCalls.asyncUnaryCall(channel.newCall(GrpcEcho.UNARY, CallOptions.DEFAULT.withDeadlineAfter(20,
              TimeUnit.SECONDS)), msg, new StreamObserver<>() {
                @Override
                public void onNext(byte[] value) {
                }

                @Override
                public void onError(Throwable t) {
                  failures.incrementAndGet();
                  next[0].run();
                }

                @Override
                public void onCompleted() {
                  if (counts[worker] < latencies[worker].length) {
                    latencies[worker][counts[worker]++] = System.nanoTime() - t0;
                  }
                  done.incrementAndGet();
                  next[0].run();
                }
              });
        };
        next[0].run();
      }
      assertTrue(finished.await(seconds + 60, TimeUnit.SECONDS));
      double took = (System.nanoTime() - start) / 1e9;
      long[] all = new long[Arrays.stream(counts).sum()];
      int k = 0;
      for (int w = 0; w < CONCURRENCY; w++) {
        System.arraycopy(latencies[w], 0, all, k, counts[w]);
        k += counts[w];
      }
      Arrays.sort(all);
      return new Run(done.get() / took, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6,
          failures.get());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
