package io.sscmic.gateway.process;

import static io.sscmic.gateway.TestMesh.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.TracingSection;
import io.sscmic.gateway.http.HttpModeConfig;
import io.sscmic.gateway.http.HttpRoute;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tracing in HTTP mode, end to end with real parts: curl sends a request with a W3C
 * {@code traceparent} to a calling sidecar (Vert.x made by {@link Runtimes} with the SDK from
 * {@link Tracing}), which forwards it through the encrypted tunnel to a receiving sidecar (traced
 * too, the service listed in {@code tracing.http-services}) and on to an echo service that
 * records the {@code traceparent} it got. The spans go over OTLP/HTTP
 * (protobuf) to an in-test receiver that decodes them with the official OpenTelemetry proto classes.
 */
class TracingTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final byte[] SEED = "tracing test seed, at least thirty-two bytes".getBytes();
  private final Instant genesis = Instant.now().minusSeconds(3600);
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();

  /** What the echo service saw: every traceparent and tracestate header of each request. */
  private record Seen(List<String> traceparent, List<String> tracestate) {
  }

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<ExportTraceServiceRequest> exports = new CopyOnWriteArrayList<>();
  private final List<String> exportPaths = new CopyOnWriteArrayList<>();

  private static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  private int echo(Vertx vertx) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      seen.add(new Seen(List.copyOf(req.headers().getAll("traceparent")), List.copyOf(req.headers().getAll("tracestate"))));
      req.body().onSuccess(b -> req.response().end("echo " + req.path() + " " + b.length() + "\n"));
    });
    return await(server.listen(0, "127.0.0.1")).actualPort();
  }

  /** An OTLP/HTTP receiver as a collector is one: POST /v1/traces, protobuf in, protobuf out. */
  private int otlpReceiver(Vertx vertx) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      try {
        exports.add(ExportTraceServiceRequest.parseFrom(body.getBytes()));
        exportPaths.add(req.method() + " " + req.path() + " " + req.getHeader("content-type"));
        req.response().putHeader("content-type", "application/x-protobuf")
            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
      } catch (Exception e) {
        req.response().setStatusCode(400).end(e.toString());
      }
    }));
    return await(server.listen(0, "127.0.0.1")).actualPort();
  }

  private Node receiver(Vertx vertx, int echoPort) throws Exception {
    return TestMesh.start(vertx, TestMesh.server("receiver", genesis, INTERVAL, SEED, Map.of("echo", loopback(echoPort))));
  }

  private NodeConfig caller(int receiverTunnelPort) {
    return TestMesh.httpClient("caller", genesis, INTERVAL, SEED, new HttpModeConfig(loopback(0),
        List.of(new HttpRoute(null, "/", "echo", null)), Map.of("echo", List.of(loopback(receiverTunnelPort))),
        Duration.ofSeconds(30), 4, false));
  }

  /** @param headers header lines, or a curl option ({@code --data-binary}) followed by its value */
  private static String curl(int port, String path, String... headers) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "30", "-o", "-",
        "-w", "\n%{http_code}"));
    for (int i = 0; i < headers.length; i++) {
      if (headers[i].startsWith("--")) {
        cmd.add(headers[i]); // a curl option and its value
        cmd.add(headers[++i]);
      } else {
        cmd.add("-H");
        cmd.add(headers[i]);
      }
    }
    cmd.add("http://127.0.0.1:" + port + path);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(40, TimeUnit.SECONDS), "curl finished");
    return out;
  }

  private List<Span> spansOf(String traceId) {
    return exports.stream().flatMap(r -> r.getResourceSpansList().stream())
        .flatMap(rs -> rs.getScopeSpansList().stream()).flatMap(ss -> ss.getSpansList().stream())
        .filter(s -> hex(s.getTraceId().toByteArray()).equals(traceId)).toList();
  }

  private ResourceSpans resourceOf(Span span) {
    return exports.stream().flatMap(r -> r.getResourceSpansList().stream())
        .filter(rs -> rs.getScopeSpansList().stream().map(ScopeSpans::getSpansList).anyMatch(l -> l.contains(span)))
        .findFirst().orElseThrow();
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static Map<String, String> attributes(List<KeyValue> kvs) {
    return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue()), (a, b) -> a));
  }

  private static String text(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case INT_VALUE -> Long.toString(v.getIntValue());
      default -> v.toString();
    };
  }

  private Span span(List<Span> spans, String node, Span.SpanKind kind) {
    return spans.stream().filter(sp -> sp.getKind() == kind)
        .filter(sp -> node.equals(attributes(resourceOf(sp).getResource().getAttributesList()).get("sscmic.node.id")))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " span of " + node + " in " + spans));
  }

  private static String id(com.google.protobuf.ByteString b) {
    return hex(b.toByteArray());
  }

  @Test
  void aCallersTraceRunsThroughBothSidecarsToTheServiceAndIsExportedOverOtlp() throws Exception {
    Vertx vertx = testVertx.get();
    int echoPort = echo(vertx);
    int otlpPort = otlpReceiver(vertx);
    URI otlp = URI.create("http://127.0.0.1:" + otlpPort + "/v1/traces");
    // Ratio 0: the traces these nodes would start themselves are never recorded, so every span
    // below is there because the caller's traceparent said "sampled" (parent-based sampling).
    NodeConfig receiverConfig = TestMesh.server("receiver", genesis, INTERVAL, SEED, Map.of("echo", loopback(echoPort)))
        .withTracing(new TracingSection(otlp, 0.0, java.util.Set.of("echo")));
    Optional<OpenTelemetrySdk> receiverSdk = Tracing.start(receiverConfig.tracing(), receiverConfig.nodeId(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    Vertx receiverVertx = Runtimes.vertx(Runtimes.registry(), receiverSdk.orElseThrow());
    Optional<OpenTelemetrySdk> sdk = Optional.empty();
    Vertx traced = null;
    try {
      Node receiver = TestMesh.start(receiverVertx, receiverConfig);
      // With an admin port, whose requests (scrapes, probes) must not become traces.
      NodeConfig config = caller(receiver.tunnelPort()).withTracing(new TracingSection(otlp, 0.0))
          .withAdmin(a -> a.withListen(loopback(0)));
      sdk = Tracing.start(config.tracing(), config.nodeId(),
          new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
      assertTrue(sdk.isPresent());
      traced = Runtimes.vertx(Runtimes.registry(), sdk.get());
      Node caller = TestMesh.start(traced, config);
      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String callerSpan = "00f067aa0ba902b7";
      String out = curl(caller.httpPort(), "/orders/1", "traceparent: 00-" + traceId + "-" + callerSpan + "-01",
          "tracestate: vendor=opaque");
      assertTrue(out.endsWith("\n200"), "curl through the pair answered 200: " + out);

      // The service got one traceparent: the caller's trace, a new parent (the receiving sidecar's
      // client span), still sampled; the tracestate as the caller sent it.
      assertEquals(1, seen.size(), "one request reached the service");
      assertEquals(1, seen.get(0).traceparent().size(), "exactly one traceparent: " + seen.get(0));
      String[] tp = seen.get(0).traceparent().get(0).split("-");
      assertEquals(traceId, tp[1], "the service's traceparent carries the caller's trace id");
      assertNotEquals(callerSpan, tp[2], "the parent is a sidecar's span, not the caller's");
      assertEquals(1, Integer.parseInt(tp[3], 16) & 1, "sampled, as the caller said: " + tp[3]);
      assertEquals(List.of("vendor=opaque"), seen.get(0).tracestate());

      sdk.get().getSdkTracerProvider().forceFlush().join(20, TimeUnit.SECONDS);
      receiverSdk.get().getSdkTracerProvider().forceFlush().join(20, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (spansOf(traceId).size() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      List<Span> spans = spansOf(traceId);
      assertEquals(4, spans.size(), "a server and a client span on each sidecar, one trace: " + spans);
      Span callerServer = span(spans, "caller", Span.SpanKind.SPAN_KIND_SERVER);
      Span callerClient = span(spans, "caller", Span.SpanKind.SPAN_KIND_CLIENT);
      Span receiverServer = span(spans, "receiver", Span.SpanKind.SPAN_KIND_SERVER);
      Span receiverClient = span(spans, "receiver", Span.SpanKind.SPAN_KIND_CLIENT);
      assertEquals(callerSpan, id(callerServer.getParentSpanId()), "the calling sidecar continues the caller's span");
      assertEquals(id(callerServer.getSpanId()), id(callerClient.getParentSpanId()),
          "its client span (towards the peer) is its server span's child");
      assertEquals(id(callerClient.getSpanId()), id(receiverServer.getParentSpanId()),
          "the receiving sidecar's server span is the calling sidecar's client span's child");
      assertEquals(id(receiverServer.getSpanId()), id(receiverClient.getParentSpanId()),
          "its client span (towards the service) is its server span's child");
      assertEquals(tp[2], id(receiverClient.getSpanId()),
          "the service's traceparent names the receiving sidecar's client span as its parent");
      for (Span sp : spans) {
        assertEquals("200", attributes(sp.getAttributesList()).get("http.response.status_code"),
            "span attributes: " + sp);
        Map<String, String> resource = attributes(resourceOf(sp).getResource().getAttributesList());
        assertEquals("sscmic", resource.get("service.name"));
        assertEquals(resource.get("sscmic.node.id"), resource.get("service.instance.id"));
      }
      assertTrue(exportPaths.stream().allMatch(p -> p.equals("POST /v1/traces application/x-protobuf")),
          "OTLP/HTTP protobuf to /v1/traces: " + exportPaths);

      // The admin port, even asked with a sampled traceparent, records nothing.
      assertTrue(curl(caller.adminPort(), "/healthz", "traceparent: 00-" + "1".repeat(32) + "-" + "2".repeat(16)
          + "-01").endsWith("\n200"), "admin /healthz");

      // No traceparent and a ratio of 0: the request is carried with a fresh, unsampled context and
      // nothing of it is exported.
      String out2 = curl(caller.httpPort(), "/orders/2");
      assertTrue(out2.endsWith("\n200"), out2);
      assertEquals(2, seen.size());
      assertEquals(1, seen.get(1).traceparent().size(), "one traceparent: " + seen.get(1));
      String[] fresh = seen.get(1).traceparent().get(0).split("-");
      // The sampled bit (0x01) is clear; 0x02 (W3C level 2 "random trace id") may be set.
      assertEquals(0, Integer.parseInt(fresh[3], 16) & 1, "not sampled: " + seen.get(1));
      assertNotEquals(traceId, fresh[1], "a new trace");
      sdk.get().getSdkTracerProvider().forceFlush().join(20, TimeUnit.SECONDS);
      receiverSdk.get().getSdkTracerProvider().forceFlush().join(20, TimeUnit.SECONDS);
      assertEquals(List.of(), spansOf(fresh[1]), "an unsampled trace exports nothing");
      assertEquals(List.of(), spansOf("1".repeat(32)), "the admin port is not traced");
      assertEquals(4, exports.stream().flatMap(r -> r.getResourceSpansList().stream())
          .flatMap(rs -> rs.getScopeSpansList().stream()).mapToInt(ScopeSpans::getSpansCount).sum(),
          "only the caller's trace was exported: nothing of the unsampled request or the admin port");

      // A body crosses the receiving sidecar's hop whole (streamed both ways, chunked and sized).
      java.nio.file.Path upload = java.nio.file.Files.createTempFile("tracing-upload", ".bin");
      try {
        java.nio.file.Files.write(upload, new byte[300_000]);
        assertEquals("echo /upload 300000\n\n200", curl(caller.httpPort(), "/upload", "content-type: application/octet-stream",
            "--data-binary", "@" + upload));
        assertEquals("echo /upload 300000\n\n200", curl(caller.httpPort(), "/upload", "transfer-encoding: chunked",
            "--data-binary", "@" + upload));
      } finally {
        java.nio.file.Files.delete(upload);
      }
    } finally {
      if (traced != null) {
        await(traced.close());
      }
      await(receiverVertx.close());
      await(Tracing.stop(sdk));
      await(Tracing.stop(receiverSdk));
    }
  }

  @Test
  void withoutAnEndpointNoSdkIsStartedAndTheCallersTraceparentPassesUnchanged() throws Exception {
    Vertx vertx = testVertx.get();
    int echoPort = echo(vertx);
    Node receiver = receiver(vertx, echoPort);
    NodeConfig config = caller(receiver.tunnelPort());
    assertNull(config.tracing());
    Optional<OpenTelemetrySdk> sdk = Tracing.start(config.tracing(), config.nodeId(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    assertTrue(sdk.isEmpty(), "no tracing section, no SDK");
    // As the node command creates it: Vert.x without a tracer, so no span and no header work.
    Vertx plain = Runtimes.vertx(Runtimes.registry(), sdk.orElse(null));
    try {
      assertNull(((VertxInternal) plain).tracer(), "Vert.x has no tracer");
      Node caller = TestMesh.start(plain, config);
      String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      String out = curl(caller.httpPort(), "/x", "traceparent: " + traceparent, "tracestate: a=b");
      assertTrue(out.endsWith("\n200"), out);
      assertEquals(List.of(new Seen(List.of(traceparent), List.of("a=b"))), seen,
          "the service sees the caller's headers as sent");
      String none = curl(caller.httpPort(), "/y");
      assertTrue(none.endsWith("\n200"), none);
      assertEquals(List.of(), seen.get(1).traceparent(), "no trace is started without an SDK");
    } finally {
      await(plain.close());
    }
  }
}
