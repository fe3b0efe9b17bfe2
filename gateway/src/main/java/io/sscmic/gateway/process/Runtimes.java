package io.sscmic.gateway.process;

import io.micrometer.core.instrument.config.MeterFilter;
import io.opentelemetry.api.OpenTelemetry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Set;

/** One Vert.x instance per process, reporting its own metrics (vertx_*) into the node's registry. */
public final class Runtimes {
  private Runtimes() {
  }

  /**
   * Meters that break Prometheus naming rules ({@code promtool check metrics}): abbreviated units
   * in the name, or a {@code _count} suffix on a gauge. Dropped rather than exported wrong.
   */
  private static final Set<String> NON_CONFORMING = Set.of("jvm.compilation.time", "process.cpu.time",
      "system.cpu.count");

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(MeterFilter.deny(id -> NON_CONFORMING.contains(id.getName())));
    return registry;
  }

  public static Vertx vertx(PrometheusMeterRegistry registry) {
    return vertx(registry, null);
  }

  /**
   * @param tracing the process's OpenTelemetry ({@link Tracing#start}), or null for none: Vert.x
   *     takes its tracer when it is created, which is why the tracing keys need a restart
   */
  public static Vertx vertx(PrometheusMeterRegistry registry, OpenTelemetry tracing) {
    // vertx-micrometer-metrics keeps registries by name: a unique name keeps two Vert.x instances
    // in one JVM (tests) from sharing one.
    String name = "sscmic-" + Integer.toHexString(System.identityHashCode(registry));
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setRegistryName(name).setJvmMetricsEnabled(true)
            // Per-connection and per-request meters on the data path: sscmic_tunnel_*, sscmic_peer_*
            // and sscmic_http_* count the same things once, and these cost CPU on every request and
            // read (docs/BENCHMARKS.md, "Profiles").
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
            .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT));
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(registry));
    if (tracing != null) {
      options.setTracingOptions(new OpenTelemetryOptions());
      builder.withTracer(new OpenTelemetryTracingFactory(tracing));
    }
    return builder.with(options).build();
  }
}
