package io.sscmic.gateway.process;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * The spans the OTLP export loses, as Micrometer counters beside the node's other meters:
 * {@code sscmic_tracing_spans_dropped_total{reason}}, {@code queue_full} (the batch queue was full:
 * the collector is slower than the traffic, or unreachable while its export blocks) and
 * {@code export_failed} (a batch the collector refused or never answered), and
 * {@code sscmic_tracing_spans_exported_total}. The SDK reports its queue drops only through an
 * OpenTelemetry {@link MeterProvider}; {@link #sdkMeters()} is one that passes that single count on
 * and ignores every other SDK instrument (the project has no OpenTelemetry metrics pipeline).
 */
final class SpanDrops {
  /** The batch processor's count of processed spans (semantic conventions; {@code error.type} set: dropped). */
  static final String PROCESSED = "otel.sdk.processor.span.processed";
  /** The same count in the SDK's legacy internal telemetry ({@code dropped=true}: dropped). */
  static final String PROCESSED_LEGACY = "processedSpans";
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");

  private final Counter queueFull;
  private final Counter exportFailed;
  private final Counter exported;

  SpanDrops(MeterRegistry registry, String node) {
    queueFull = dropped(registry, node, "queue_full");
    exportFailed = dropped(registry, node, "export_failed");
    exported = Counter.builder("sscmic.tracing.spans.exported")
        .description("Spans the OTLP collector accepted").tag("node", node).register(registry);
  }

  private static Counter dropped(MeterRegistry registry, String node, String reason) {
    return Counter.builder("sscmic.tracing.spans.dropped")
        .description("Sampled spans never delivered to the OTLP collector: queue_full (the export queue of 2048 "
            + "was full), export_failed (the collector refused the batch or did not answer within 10 s)")
        .tag("node", node).tag("reason", reason).register(registry);
  }

  /** {@code exporter}, with each batch's spans counted as exported or export_failed by its result. */
  SpanExporter counting(SpanExporter exporter) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        CompletableResultCode result = exporter.export(spans);
        result.whenComplete(() -> (result.isSuccess() ? exported : exportFailed).increment(n));
        return result;
      }

      @Override
      public CompletableResultCode flush() {
        return exporter.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return exporter.shutdown();
      }

      @Override
      public String toString() {
        return "counting " + exporter;
      }
    };
  }

  /** For the batch span processor: its processed-spans counter feeds queue_full; all else goes nowhere. */
  MeterProvider sdkMeters() {
    Meter noop = MeterProvider.noop().get("sscmic");
    Meter meter = new Meter() {
      @Override
      public LongCounterBuilder counterBuilder(String name) {
        LongCounterBuilder builder = noop.counterBuilder(name);
        return name.equals(PROCESSED) || name.equals(PROCESSED_LEGACY) ? new DropCount(builder) : builder;
      }

      @Override
      public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
        return noop.upDownCounterBuilder(name);
      }

      @Override
      public DoubleHistogramBuilder histogramBuilder(String name) {
        return noop.histogramBuilder(name);
      }

      @Override
      public DoubleGaugeBuilder gaugeBuilder(String name) {
        return noop.gaugeBuilder(name);
      }
    };
    return name -> new MeterBuilder() {
      @Override
      public MeterBuilder setSchemaUrl(String url) {
        return this;
      }

      @Override
      public MeterBuilder setInstrumentationVersion(String version) {
        return this;
      }

      @Override
      public Meter build() {
        return meter;
      }
    };
  }

  /** Whether a processed-spans measurement counts dropped spans, in either telemetry version. */
  static boolean dropped(Attributes attributes) {
    return "queue_full".equals(attributes.get(ERROR_TYPE)) || Boolean.TRUE.equals(attributes.get(DROPPED));
  }

  /** The processed-spans counter's builder: its counter adds the dropped ones to queue_full. */
  private final class DropCount implements LongCounterBuilder {
    private final LongCounterBuilder noop;

    DropCount(LongCounterBuilder noop) {
      this.noop = noop;
    }

    @Override
    public LongCounterBuilder setDescription(String description) {
      return this;
    }

    @Override
    public LongCounterBuilder setUnit(String unit) {
      return this;
    }

    @Override
    public DoubleCounterBuilder ofDoubles() {
      return noop.ofDoubles();
    }

    @Override
    public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
      return noop.buildWithCallback(callback);
    }

    @Override
    public LongCounter build() {
      return new LongCounter() {
        @Override
        public void add(long value) {
        }

        @Override
        public void add(long value, Attributes attributes) {
          if (dropped(attributes)) {
            queueFull.increment(value);
          }
        }

        @Override
        public void add(long value, Attributes attributes, Context context) {
          add(value, attributes);
        }
      };
    }
  }
}
