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
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.http.upstream.ServiceProtocol;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * gRPC through a sidecar pair in HTTP mode, with real grpc-java on both ends: the client speaks
 * h2c with prior knowledge to the client sidecar's HTTP listener, the service "echo" is declared
 * {@code protocol: h2c}, so the sidecar's pool speaks HTTP/2 through the tunnel to the server
 * sidecar, which hands the bytes to a grpc-java server. Unary, server, client and bidirectional
 * streaming, status trailers, the health service, deadlines, and the sidecar's own failures in
 * gRPC's terms (UNAVAILABLE, DEADLINE_EXCEEDED with a message), never an HTTP 502.
 */
class GrpcThroughMeshTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private GrpcEcho backend;
  private Node client;
  private ManagedChannel channel;
  private ManagedChannel downChannel;
  private ManagedChannel deadChannel;
  private PrometheusMeterRegistry registry;
  private io.vertx.core.http.HttpClient h2;

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    backend = new GrpcEcho();
    Node server = HttpMesh.server(vertx, "s", genesis, INTERVAL, "echo", backend.port());
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    // "down": a live peer sidecar whose service is not listening; "dead": no peer sidecar at all.
    Node downServer = HttpMesh.server(vertx, "s-down", genesis, INTERVAL, "down", closed);
    HttpModeConfig http = new HttpModeConfig(loopback(0),
        List.of(new HttpRoute("down.svc", "/", "down", null), new HttpRoute("dead.svc", "/", "dead", null),
            new HttpRoute(null, "/", "echo", Duration.ofSeconds(20))),
        Map.of("echo", List.of(loopback(server.tunnelPort())), "down", List.of(loopback(downServer.tunnelPort())),
            "dead", List.of(loopback(closed))),
        Duration.ofSeconds(30), 8, false)
        .withProtocols(Map.of("echo", ServiceProtocol.H2C, "down", ServiceProtocol.H2C, "dead", ServiceProtocol.H2C));
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    client = HttpMesh.client(vertx, "client", genesis, INTERVAL, http, registry);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", client.httpPort()).usePlaintext().build();
    downChannel = NettyChannelBuilder.forAddress("127.0.0.1", client.httpPort()).overrideAuthority("down.svc")
        .usePlaintext().build();
    deadChannel = NettyChannelBuilder.forAddress("127.0.0.1", client.httpPort()).overrideAuthority("dead.svc")
        .usePlaintext().build();
    h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ManagedChannel c : List.of(channel, downChannel, deadChannel)) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    backend.close();
  }

  private static CallOptions within(long seconds) {
    return CallOptions.DEFAULT.withDeadlineAfter(seconds, TimeUnit.SECONDS);
  }

  @Test
  void unaryCallsAndTheirStatusTrailersPassThrough() {
    for (int i = 0; i < 50; i++) {
      assertEquals("hello " + i, text(ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, within(20),
          utf8("hello " + i))));
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, GrpcEcho.UNARY, within(20), utf8("fail:5:no such order 42 ünïcode")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "the service's own status, from its trailers");
    assertEquals("no such order 42 ünïcode", e.getStatus().getDescription(), "grpc-message intact, encoded and all");
  }

  @Test
  void theStandardHealthServiceAnswersThroughThePair() {
    backend.health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
    HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("").build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder().setService("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "an unknown service: the health service's own NOT_FOUND");
  }

  @Test
  void serverStreamingDeliversEveryMessageInOrder() {
    Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(channel, GrpcEcho.COUNT, within(30), utf8("2000"));
    int n = 0;
    while (it.hasNext()) {
      assertEquals(Integer.toString(n), text(it.next()));
      n++;
    }
    assertEquals(2000, n);
  }

  @Test
  void clientStreamingAndBidiStreamingWorkBothWays() throws Exception {
    CompletableFuture<String> collected = new CompletableFuture<>();
    StreamObserver<byte[]> up = ClientCalls.asyncClientStreamingCall(channel.newCall(GrpcEcho.COLLECT, within(20)),
        observer(collected, new ArrayList<>()));
    for (int i = 0; i < 5; i++) {
      up.onNext(utf8("m" + i));
    }
    up.onCompleted();
    assertEquals("m0,m1,m2,m3,m4", collected.get(30, TimeUnit.SECONDS));

    // Bidi, in lock step: each message is sent only after the previous echo came back, so this
    // passes only if both directions stream while the call is open (no buffering to the end).
    List<String> echoes = new CopyOnWriteArrayList<>();
    CompletableFuture<String> closed = new CompletableFuture<>();
    java.util.concurrent.BlockingQueue<String> arrivals = new java.util.concurrent.LinkedBlockingQueue<>();
    StreamObserver<byte[]> chat = ClientCalls.asyncBidiStreamingCall(channel.newCall(GrpcEcho.CHAT, within(30)),
        new StreamObserver<>() {
          @Override
          public void onNext(byte[] value) {
            echoes.add(text(value));
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
    assertEquals(20, echoes.size());
  }

  private static StreamObserver<byte[]> observer(CompletableFuture<String> result, List<String> got) {
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        got.add(text(value));
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(String.join("|", got));
      }
    };
  }

  @Test
  void anExpiredDeadlineIsDeadlineExceeded() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, GrpcEcho.SLOW, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS), utf8("3000")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    // The channel is fine afterwards: only that stream ended.
    assertEquals("after", text(ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, within(20), utf8("after"))));
  }

  /**
   * A call the client cancels is cancelled at the service too, at once: the reset crosses the pair
   * (without it the service would hold the call until the route's 20 s timeout).
   */
  @Test
  void aCancelledCallIsCancelledAtTheService() throws Exception {
    io.grpc.ClientCall<byte[], byte[]> call = channel.newCall(GrpcEcho.HOLD, CallOptions.DEFAULT);
    ClientCalls.asyncUnaryCall(call, utf8("wait"), observer(new CompletableFuture<>(), new ArrayList<>()));
    assertTrue(backend.holdArrived.await(20, TimeUnit.SECONDS), "the call reached the service");
    long t0 = System.nanoTime();
    call.cancel("the caller changed its mind", null);
    assertTrue(backend.holdCancelled.await(8, TimeUnit.SECONDS), "the service saw the cancellation before the route "
        + "timeout");
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));
  }

  /**
   * The sidecar enforces grpc-timeout itself (a client that does not, or whose deadline is longer
   * than the sidecar's own route timeout, still gets an answer): a raw HTTP/2 request with
   * {@code grpc-timeout: 300m} to a call that takes 10 s gets 200 with grpc-status 4, trailers-only.
   */
  @Test
  void theSidecarAnswersAnExpiredGrpcTimeoutWithDeadlineExceeded() throws Exception {
    // Warm: the first call also opens the tunnel and the pooled HTTP/2 connection, which the deadline is not about.
    assertEquals("0", raw(GrpcEcho.UNARY.getFullMethodName(), null, frame("warm"), "127.0.0.1").grpcStatus);
    long start = System.nanoTime();
    RawAnswer a = raw(GrpcEcho.SLOW.getFullMethodName(), "300m", frame("10000"), "127.0.0.1");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(200, a.status);
    assertEquals("4", a.grpcStatus, "DEADLINE_EXCEEDED: " + a);
    assertTrue(a.grpcMessage.contains("did not answer within 300 ms"), a.grpcMessage);
    assertTrue(ms < 5000, "answered at the deadline, not when the service finished: " + ms + " ms");
  }

  @Test
  void aServiceThatIsDownIsUnavailableWithAMessage() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        downChannel, GrpcEcho.UNARY, within(20), utf8("anyone?")));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("'down'"), "the message names the service: " + e.getStatus());

    StatusRuntimeException dead = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        deadChannel, GrpcEcho.UNARY, within(20), utf8("anyone?")));
    assertEquals(Status.Code.UNAVAILABLE, dead.getStatus().getCode(), dead.getStatus().toString());
    assertTrue(dead.getStatus().getDescription().contains("'dead'"), dead.getStatus().toString());
  }

  @Test
  void theSidecarsOwnGrpcErrorIsTrailersOnlyNotAText502() throws Exception {
    RawAnswer a = raw(GrpcEcho.UNARY.getFullMethodName(), null, frame("x"), "dead.svc");
    assertEquals(200, a.status, "gRPC errors ride on 200: " + a);
    assertEquals("14", a.grpcStatus, "UNAVAILABLE: " + a);
    assertEquals("application/grpc", a.contentType);
    assertEquals("client", a.producedBy, "the sidecar says it answered, naming itself");
    assertEquals(0, a.body.length(), "trailers-only: no body, no text");
  }

  /** One length-prefixed gRPC message (uncompressed). */
  private static Buffer frame(String message) {
    byte[] b = utf8(message);
    return Buffer.buffer().appendByte((byte) 0).appendInt(b.length).appendBytes(b);
  }

  private record RawAnswer(int status, String contentType, String grpcStatus, String grpcMessage, String producedBy,
                           Buffer body) {
  }

  /** A gRPC call by hand over Vert.x's HTTP/2 client: what the wire carries, status in headers or trailers. */
  private RawAnswer raw(String method, String grpcTimeout, Buffer body, String authority) throws Exception {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(client.httpPort())
        .setURI("/" + method).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    if (grpcTimeout != null) {
      o.putHeader("grpc-timeout", grpcTimeout);
    }
    return await(h2.request(o).compose(req -> {
      req.authority(io.vertx.core.net.HostAndPort.create(authority, client.httpPort()));
      return req.send(body);
    }).compose(resp -> resp.body().map(b -> {
      String status = resp.getHeader("grpc-status") != null ? resp.getHeader("grpc-status")
          : resp.getTrailer("grpc-status");
      String message = resp.getHeader("grpc-message") != null ? resp.getHeader("grpc-message")
          : resp.getTrailer("grpc-message");
      return new RawAnswer(resp.statusCode(), resp.getHeader("content-type"), status, message,
          resp.getHeader(HttpProxyVerticle.PRODUCED_BY), b);
    })));
  }
}
