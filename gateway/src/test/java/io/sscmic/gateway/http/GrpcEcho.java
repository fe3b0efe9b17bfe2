package io.sscmic.gateway.http;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A real grpc-java server for the HTTP-mode tests, with a hand-written service (byte marshaller,
 * no protoc) and the standard health service. Methods of {@code sscmic.test.Echo}:
 * <ul>
 *   <li>{@code Unary}: the request back; a request "fail:CODE:message" fails with that status;
 *   <li>{@code Slow}: the request back after as many milliseconds as the request says;
 *   <li>{@code Count}: server streaming, "N" gives N messages "0".."N-1";
 *   <li>{@code Collect}: client streaming, the requests joined with ',';
 *   <li>{@code Chat}: bidirectional, each request back as "echo:" + request, at once;
 *   <li>{@code Hold}: never answers; notes its arrival and its cancellation.
 * </ul>
 */
final class GrpcEcho implements AutoCloseable {
  static final String SERVICE = "sscmic.test.Echo";
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<byte[], byte[]> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> SLOW = method("Slow", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> COUNT = method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> COLLECT = method("Collect",
      MethodDescriptor.MethodType.CLIENT_STREAMING);
  static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
  static final MethodDescriptor<byte[], byte[]> HOLD = method("Hold", MethodDescriptor.MethodType.UNARY);
  /** Counted down when a {@code Hold} call is cancelled (the caller went away). */
  final java.util.concurrent.CountDownLatch holdCancelled = new java.util.concurrent.CountDownLatch(1);
  /** Counted down when a {@code Hold} call arrives. */
  final java.util.concurrent.CountDownLatch holdArrived = new java.util.concurrent.CountDownLatch(1);

  private final Server server;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  final HealthStatusManager health = new HealthStatusManager();

  private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  GrpcEcho() throws IOException {
    ServerServiceDefinition echo = ServerServiceDefinition.builder(SERVICE)
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          String s = text(req);
          if (s.startsWith("fail:")) {
            String[] p = s.split(":", 3);
            out.onError(Status.fromCodeValue(Integer.parseInt(p[1])).withDescription(p[2]).asRuntimeException());
            return;
          }
          out.onNext(req);
          out.onCompleted();
        }))
        .addMethod(HOLD, ServerCalls.asyncUnaryCall((req, out) -> {
          ((io.grpc.stub.ServerCallStreamObserver<byte[]>) out).setOnCancelHandler(holdCancelled::countDown);
          holdArrived.countDown();
        }))
        .addMethod(SLOW, ServerCalls.asyncUnaryCall((req, out) -> timers.schedule(() -> {
          out.onNext(req);
          out.onCompleted();
        }, Long.parseLong(text(req)), TimeUnit.MILLISECONDS)))
        .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((req, out) -> {
          int n = Integer.parseInt(text(req));
          for (int i = 0; i < n; i++) {
            out.onNext(utf8(Integer.toString(i)));
          }
          out.onCompleted();
        }))
        .addMethod(COLLECT, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<byte[]>() {
          final ByteArrayOutputStream all = new ByteArrayOutputStream();

          @Override
          public void onNext(byte[] value) {
            if (all.size() > 0) {
              all.write(',');
            }
            all.writeBytes(value);
          }

          @Override
          public void onError(Throwable t) {
          }

          @Override
          public void onCompleted() {
            out.onNext(all.toByteArray());
            out.onCompleted();
          }
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<byte[]>() {
          @Override
          public void onNext(byte[] value) {
            out.onNext(utf8("echo:" + text(value)));
          }

          @Override
          public void onError(Throwable t) {
          }

          @Override
          public void onCompleted() {
            out.onCompleted();
          }
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(echo).addService(health.getHealthService()).build().start();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    timers.shutdownNow();
  }
}
