package io.sscmic.gateway.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.config.TracingSection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The OTLP export's losses, counted (issue 19): {@code sscmic_tracing_spans_dropped_total} by
 * reason and {@code sscmic_tracing_spans_exported_total}, with the SDK as {@link Tracing#start}
 * builds it and a real HTTP receiver on loopback. A collector that accepts: every span exported,
 * as many as the receiver decoded, none dropped. A collector that stalls then refuses: the spans
 * beyond the export queue are dropped as queue_full the moment they end (never blocking the
 * caller), the rest as export_failed, and every span is accounted for exactly once.
 */
class SpanDropsTest {
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void aCollectorThatAcceptsGetsEverySpanAndNoneIsCountedDropped() throws Exception {
    AtomicLong received = new AtomicLong();
    HttpServer collector = testVertx.get().createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      try {
        ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(body.getBytes());
        export.getResourceSpansList().forEach(r -> r.getScopeSpansList().forEach(s -> received.addAndGet(
            s.getSpansCount())));
        req.response().putHeader("content-type", "application/x-protobuf")
            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
      } catch (Exception e) {
        req.response().setStatusCode(400).end(e.toString());
      }
    }));
    Optional<OpenTelemetrySdk> sdk = start(collector);
    try {
      endSpans(sdk.get(), 25);
      assertTrue(sdk.get().getSdkTracerProvider().forceFlush().join(30, TimeUnit.SECONDS).isSuccess());
      assertEquals(25, received.get(), "the receiver decoded every span");
      assertEquals(25, count("sscmic_tracing_spans_exported_total{node=\"n1\"}"));
      assertEquals(0, count("sscmic_tracing_spans_dropped_total{node=\"n1\",reason=\"queue_full\"}"));
      assertEquals(0, count("sscmic_tracing_spans_dropped_total{node=\"n1\",reason=\"export_failed\"}"));
    } finally {
      await(Tracing.stop(sdk));
    }
  }

  @Test
  void spansBeyondTheQueueOfAStalledCollectorAreDroppedAndCountedNotQueued() throws Exception {
    // The collector holds every export unanswered until released, then refuses them (400: the
    // exporter does not retry it), as an overloaded or broken collector would.
    AtomicBoolean stalled = new AtomicBoolean(true);
    Queue<HttpServerRequest> held = new ConcurrentLinkedQueue<>();
    Vertx vertx = testVertx.get();
    HttpServer collector = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      if (stalled.get()) {
        held.add(req);
      } else {
        req.response().setStatusCode(400).end("refused");
      }
    }));
    Optional<OpenTelemetrySdk> sdk = start(collector);
    int spans = 3 * Tracing.QUEUE;
    try {
      long began = System.nanoTime();
      endSpans(sdk.get(), spans);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
      // At most the queue and one batch in the (stalled) export are held; the rest was dropped at once.
      double queueFull = count("sscmic_tracing_spans_dropped_total{node=\"n1\",reason=\"queue_full\"}");
      assertTrue(queueFull >= spans - Tracing.QUEUE - 512, queueFull + " dropped as queue_full of " + spans);
      assertTrue(tookMillis < 10_000, "ending spans never waits for the collector: " + tookMillis + " ms");
    } finally {
      stalled.set(false);
      vertx.runOnContext(v -> held.forEach(r -> r.response().setStatusCode(400).end("refused")));
      await(Tracing.stop(sdk)); // exports what is queued: each batch refused at once
    }
    double queueFull = count("sscmic_tracing_spans_dropped_total{node=\"n1\",reason=\"queue_full\"}");
    double failed = count("sscmic_tracing_spans_dropped_total{node=\"n1\",reason=\"export_failed\"}");
    assertTrue(failed > 0, "the queued spans the collector refused: " + failed);
    assertEquals(0, count("sscmic_tracing_spans_exported_total{node=\"n1\"}"));
    assertEquals(spans, queueFull + failed, "every span counted once: dropped at the queue or refused");
  }

  private Optional<OpenTelemetrySdk> start(HttpServer collector) throws Exception {
    int port = await(collector.listen(0, "127.0.0.1")).actualPort();
    Optional<OpenTelemetrySdk> sdk = Tracing.start(new TracingSection(URI.create("http://127.0.0.1:" + port
        + "/v1/traces"), 1.0), "n1", registry);
    assertTrue(sdk.isPresent());
    return sdk;
  }

  private static void endSpans(OpenTelemetrySdk sdk, int n) {
    Tracer tracer = sdk.getTracer("span-drops-test");
    for (int i = 0; i < n; i++) {
      tracer.spanBuilder("s" + i).startSpan().end();
    }
  }

  /** A sample's value in the registry's Prometheus text (NaN when absent: a series must exist from the start). */
  private double count(String series) {
    for (String line : registry.scrape().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1));
      }
    }
    return Double.NaN;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
  }
}
