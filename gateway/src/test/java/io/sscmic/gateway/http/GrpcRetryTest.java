package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.GrpcEcho.text;
import static io.sscmic.gateway.http.GrpcEcho.utf8;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.http.upstream.RetryBudget;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retries of gRPC calls, which are POSTs with a body: safe only where no byte reached a service.
 * The service "echo" has two peers, a live sidecar and an address where nothing listens; a call
 * that draws the dead one cannot get an HTTP/2 connection there, so it goes to the live one,
 * within the retry budget. With a budget of nothing, the same draw is answered UNAVAILABLE and
 * counted as budget exhaustion.
 */
class GrpcRetryTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private GrpcEcho backend;
  private Node server;
  private int dead;
  private ManagedChannel channel;
  private PrometheusMeterRegistry registry;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    backend = new GrpcEcho();
    server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "echo", backend.port());
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      dead = s.getLocalPort();
    }
  }

  private void client(RetryBudget.Settings budget) throws Exception {
    HttpModeConfig http = new HttpModeConfig(loopback(0), List.of(new HttpRoute(null, "/", "echo", null)),
        Map.of("echo", List.of(loopback(server.tunnelPort()), loopback(dead))), Duration.ofSeconds(30), 8, false)
        .withProtocols(Map.of("echo", ServiceProtocol.H2C)).withRetryBudget(budget);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Node client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http, registry);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", client.httpPort()).usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    backend.close();
  }

  private double count(String name) {
    Counter c = registry.find(name).tag("service", "echo").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aCallThatCouldNotReachADeadPeerIsRetriedOnTheLiveOne() throws Exception {
    client(RetryBudget.Settings.DEFAULT);
    for (int i = 0; i < 30; i++) {
      assertEquals("call " + i, text(ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
          CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), utf8("call " + i))), "call " + i);
    }
    assertTrue(count("sscmic.http.retries") >= 1, "the dead peer was drawn and the call retried");
    assertEquals(0, count("sscmic.http.retry.budget.exhausted"));
  }

  @Test
  void withTheBudgetSpentTheCallIsUnavailableAndCounted() throws Exception {
    client(new RetryBudget.Settings(0, 0));
    StatusRuntimeException failed = null;
    for (int i = 0; i < 40 && failed == null; i++) {
      try {
        ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, CallOptions.DEFAULT.withDeadlineAfter(20,
            TimeUnit.SECONDS), utf8("call " + i));
      } catch (StatusRuntimeException e) {
        failed = e;
      }
    }
    assertTrue(failed != null, "the dead peer is drawn sooner or later (P2C of two, random ties)");
    assertEquals(Status.Code.UNAVAILABLE, failed.getStatus().getCode(), failed.getStatus().toString());
    assertTrue(failed.getStatus().getDescription().contains("'echo'"), failed.getStatus().toString());
    assertEquals(1, count("sscmic.http.retry.budget.exhausted"));
    assertEquals(0, count("sscmic.http.retries"));
  }
}
