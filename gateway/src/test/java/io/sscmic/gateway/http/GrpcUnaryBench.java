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
 * with {@value #CONCURRENCY} calls in flight for {@value #SECONDS} s against the grpc-java server
 * directly, then the same through a sidecar pair in HTTP mode (h2c both hops) on tunnel v1 (the
 * loopback tunnel entry), then through a pair on tunnel v2 (each call a request stream on the v2
 * peer pool, {@code peer-node} set), everything on loopback. Prints calls/s, p50 and p99 of each
 * and the ratios of the same run. Asserts only that every call
 * succeeded (a benchmark of failures would be meaningless).
 */
class GrpcUnaryBench {
  private static final int CONCURRENCY = 32;
  private static final int SECONDS = 8;
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
      // v2 before v1: the later run of a JVM sharing two loaded cores tends to be the slower one.
      Run direct = run(backend.port());
      Run pairV2 = run(alpha.httpPort());
      Run pair = run(client.httpPort());
      System.out.printf("grpc unary, %d in flight, %d s each, 16-byte messages%n", CONCURRENCY, SECONDS);
      System.out.printf("direct: %.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", direct.perSecond, direct.p50ms, direct.p99ms);
      System.out.printf("pair:   %.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", pair.perSecond, pair.p50ms, pair.p99ms);
      System.out.printf("pair v2: %.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", pairV2.perSecond, pairV2.p50ms,
          pairV2.p99ms);
      System.out.printf("ratio pair/direct (v1): %.2f%n", pair.perSecond / direct.perSecond);
      System.out.printf("ratio pair v2/direct: %.2f%n", pairV2.perSecond / direct.perSecond);
      assertEquals(0, direct.failures + pair.failures + pairV2.failures, "every call succeeded");
      assertTrue(pair.perSecond > 0);
    }
  }

  private static Run run(int port) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      byte[] msg = GrpcEcho.utf8("0123456789abcdef");
      // Warm-up: connections, JIT.
      for (int i = 0; i < 500; i++) {
        ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, CallOptions.DEFAULT.withDeadlineAfter(20,
            TimeUnit.SECONDS), msg);
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
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
      assertTrue(finished.await(SECONDS + 60, TimeUnit.SECONDS));
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
