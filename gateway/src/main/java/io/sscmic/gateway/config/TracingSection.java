package io.sscmic.gateway.config;

import java.net.URI;
import java.util.Set;

/**
 * Tracing (docs/OPERATIONS.md, "Tracing"): spans of HTTP mode exported over OTLP/HTTP. A node
 * without a {@code tracing.otlp-endpoint} has none (null in {@link NodeConfig}) and starts no SDK.
 *
 * @param otlpEndpoint the collector's OTLP/HTTP traces URL ({@code http://collector:4318/v1/traces})
 * @param sampleRatio the share of traces this node starts itself (no sampled caller) that it records
 * @param httpServices inbound services (of {@code services}) that speak HTTP/1.1: this node, as the
 *     receiving sidecar, reads their requests to trace them
 */
public record TracingSection(URI otlpEndpoint, double sampleRatio, Set<String> httpServices) {
  public TracingSection(URI otlpEndpoint, double sampleRatio) {
    this(otlpEndpoint, sampleRatio, Set.of());
  }

  public TracingSection {
    httpServices = Set.copyOf(httpServices);
    if (sampleRatio < 0 || sampleRatio > 1) {
      throw new IllegalArgumentException("sample ratio " + sampleRatio + " outside [0, 1]");
    }
  }
}
