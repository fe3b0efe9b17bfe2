package io.sscmic.gateway.process;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.config.TracingSection;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The process's OpenTelemetry SDK, started only when the node's config names a collector
 * ({@code tracing.otlp-endpoint}); otherwise nothing of OpenTelemetry is created and Vert.x runs
 * without a tracer. Vert.x's tracing SPI (vertx-opentelemetry) then makes the spans: a server span
 * per request on the HTTP listener (a child of the caller's {@code traceparent}, if any) and a
 * client span per request sent towards the peer, whose {@code traceparent} it writes; on a
 * receiving sidecar the same pair in the {@link TracedServiceHop} of each service listed in
 * {@code tracing.http-services}. Only the W3C trace context ({@code traceparent},
 * {@code tracestate}) is propagated.
 */
public final class Tracing {
  /** The resource attribute that names the node (besides {@code service.instance.id}). */
  public static final AttributeKey<String> NODE_ID = AttributeKey.stringKey("sscmic.node.id");
  static final String SERVICE_NAME = "sscmic";
  /** Spans waiting for export at most; beyond, new ones are dropped (counted as queue_full). */
  static final int QUEUE = 2048;
  private static final Logger LOG = Logger.getLogger(Tracing.class.getName());

  private Tracing() {
  }

  /**
   * The SDK for this node's tracing section, or empty (no SDK) when it has none.
   *
   * @param registry where the export's losses are counted ({@code sscmic_tracing_spans_dropped_total}, {@link SpanDrops})
   */
  public static Optional<OpenTelemetrySdk> start(TracingSection config, String nodeId, MeterRegistry registry) {
    if (config == null) {
      return Optional.empty();
    }
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), SERVICE_NAME,
        AttributeKey.stringKey("service.instance.id"), nodeId,
        NODE_ID, nodeId)));
    SpanDrops drops = new SpanDrops(registry, nodeId);
    SpanExporter exporter = drops.counting(OtlpHttpSpanExporter.builder()
        .setEndpoint(config.otlpEndpoint().toString()).setTimeout(Duration.ofSeconds(10)).build());
    // Parent-based: a caller's sampled flag decides, so a trace is whole or absent across sidecars;
    // the ratio applies only to traces this node starts.
    SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
        // Bounded queue: spans beyond it are dropped, never block a request; the SDK reports each
        // drop to its meter provider, which counts it as queue_full (the semantic-conventions
        // version of its telemetry, pinned: SpanDrops reads its counter by name).
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).setMaxQueueSize(QUEUE)
            .setScheduleDelay(Duration.ofSeconds(2)).setMeterProvider(drops.sdkMeters())
            .setInternalTelemetryVersion(InternalTelemetryVersion.LATEST).build())
        .build();
    LOG.info(() -> nodeId + ": tracing on: spans to " + config.otlpEndpoint() + ", sampling "
        + config.sampleRatio() + " of the traces this node starts");
    return Optional.of(OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build());
  }

  /**
   * Exports what is queued and stops the exporter (after the Vert.x instance closed); completes
   * when done, without blocking the caller's thread.
   */
  public static Future<Void> stop(Optional<OpenTelemetrySdk> sdk) {
    if (sdk.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    CompletableResultCode code = sdk.get().shutdown();
    code.whenComplete(() -> done.tryComplete());
    return done.future();
  }
}
