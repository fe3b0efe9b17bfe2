package io.sscmic.gateway.http;

import static io.sscmic.gateway.http.GrpcEcho.text;
import static io.sscmic.gateway.http.GrpcEcho.utf8;
import static io.sscmic.gateway.http.HttpMesh.await;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through two nodes on tunnel v2 (issue 16 item 2): grpc-java client, h2c with prior
 * knowledge to alpha's HTTP listener; service "echo" declared {@code protocol: h2c} with
 * {@code peer-node: bravo}, so each call is one HTTP/2 request stream on alpha's v2 pool, and
 * bravo relays the stream's frames to the grpc-java server on an HTTP/2 connection. Status
 * trailers, streaming both ways in lock step, a cancel that reaches the service, and the sidecar's
 * own failure in gRPC's terms (UNAVAILABLE with a message).
 */
class GrpcOverV2Test {
  private static final TestIdentities MESH = new TestIdentities("grpc-v2");
  private static final Duration INTERVAL = Duration.ofSeconds(20);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @TempDir
  Path dir;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry alphaMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private GrpcEcho backend;
  private ManagedChannel channel;
  private ManagedChannel downChannel;

  @BeforeEach
  void setUp() throws Exception {
    Vertx vertx = testVertx.get();
    backend = new GrpcEcho();
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Node bravo = await(Node.start(vertx, TestMesh.v2(TestMesh.server("bravo", genesis, INTERVAL, HttpMesh.SEED,
        Map.of("echo", loopback(backend.port()), "down", loopback(closed))), MESH, dir, null),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute("down.svc", "/", "down", null), new HttpRoute(null, "/", "echo", Duration.ofSeconds(20))),
        Map.of("echo", List.of(loopback(bravo.tunnelPort())), "down", List.of(loopback(bravo.tunnelPort()))),
        Duration.ofSeconds(30), 8, false)
        .withProtocols(Map.of("echo", ServiceProtocol.H2C, "down", ServiceProtocol.H2C))
        .withPeerNodes(Map.of("echo", "bravo", "down", "bravo"));
    Node alpha = await(Node.start(vertx, TestMesh.v2(TestMesh.httpClient("alpha", genesis, INTERVAL, HttpMesh.SEED,
        http), MESH, dir, null), alphaMetrics));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", alpha.httpPort()).usePlaintext().build();
    downChannel = NettyChannelBuilder.forAddress("127.0.0.1", alpha.httpPort()).overrideAuthority("down.svc")
        .usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ManagedChannel c : List.of(channel, downChannel)) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    backend.close();
  }

  private static CallOptions within(long seconds) {
    return CallOptions.DEFAULT.withDeadlineAfter(seconds, TimeUnit.SECONDS);
  }

  private double streams() {
    Counter c = alphaMetrics.find("sscmic.mux.streams.opened").tag("direction", "outbound").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void unaryCallsAndStatusTrailersGoAsRequestStreams() {
    for (int i = 0; i < 50; i++) {
      assertEquals("hello " + i, text(ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, within(20),
          utf8("hello " + i))));
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, GrpcEcho.UNARY, within(20), utf8("fail:5:no such order 42 ünïcode")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "the service's own status, from its trailers");
    assertEquals("no such order 42 ünïcode", e.getStatus().getDescription());
    assertEquals(51, streams(), "one v2 request stream per call");
    assertTrue(alphaMetrics.find("sscmic.tunnel.connections.opened").counters().stream().allMatch(c -> c.count() == 0),
        "no v1 tunnel connection: no loopback entry");
  }

  @Test
  void streamingWorksBothWaysWhileTheCallIsOpen() throws Exception {
    Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(channel, GrpcEcho.COUNT, within(30), utf8("2000"));
    int n = 0;
    while (it.hasNext()) {
      assertEquals(Integer.toString(n), text(it.next()));
      n++;
    }
    assertEquals(2000, n);
    // Bidi in lock step: each message goes out only after the previous echo came back.
    BlockingQueue<String> arrivals = new LinkedBlockingQueue<>();
    CompletableFuture<String> closed = new CompletableFuture<>();
    StreamObserver<byte[]> chat = ClientCalls.asyncBidiStreamingCall(channel.newCall(GrpcEcho.CHAT, within(30)),
        new StreamObserver<>() {
          @Override
          public void onNext(byte[] value) {
            arrivals.add(text(value));
          }

          @Override
          public void onError(Throwable t) {
            closed.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            closed.complete("done");
          }
        });
    for (int i = 0; i < 20; i++) {
      chat.onNext(utf8("ping" + i));
      assertEquals("echo:ping" + i, arrivals.poll(20, TimeUnit.SECONDS), "echo " + i + " while the call is open");
    }
    chat.onCompleted();
    assertEquals("done", closed.get(30, TimeUnit.SECONDS));
  }

  @Test
  void aCancelledCallIsCancelledAtTheService() throws Exception {
    io.grpc.ClientCall<byte[], byte[]> call = channel.newCall(GrpcEcho.HOLD, CallOptions.DEFAULT);
    ClientCalls.asyncUnaryCall(call, utf8("wait"), new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
      }

      @Override
      public void onError(Throwable t) {
      }

      @Override
      public void onCompleted() {
      }
    });
    assertTrue(backend.holdArrived.await(20, TimeUnit.SECONDS), "the call reached the service");
    call.cancel("the caller changed its mind", null);
    assertTrue(backend.holdCancelled.await(8, TimeUnit.SECONDS), "the reset crossed both nodes to the service");
  }

  @Test
  void aServiceThatIsDownIsUnavailableWithAMessage() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        downChannel, GrpcEcho.UNARY, within(20), utf8("anyone?")));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("'down'"), "the message names the service: " + e.getStatus());
  }
}
