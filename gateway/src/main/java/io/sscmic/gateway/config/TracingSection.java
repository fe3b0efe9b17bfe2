package io.sscmic.gateway.config;

import java.net.URI;

/**
 * Tracing (docs/OPERATIONS.md, "Tracing"): spans of HTTP mode exported over OTLP/HTTP. A node
 * without a {@code tracing.otlp-endpoint} has none (null in {@link NodeConfig}) and starts no SDK.
 *
 * @param otlpEndpoint the collector's OTLP/HTTP traces URL ({@code http://collector:4318/v1/traces})
 * @param sampleRatio the share of traces this node starts itself (no sampled caller) that it records
 */
public record TracingSection(URI otlpEndpoint, double sampleRatio) {
  public TracingSection {
    if (sampleRatio < 0 || sampleRatio > 1) {
      throw new IllegalArgumentException("sample ratio " + sampleRatio + " outside [0, 1]");
    }
  }
}
