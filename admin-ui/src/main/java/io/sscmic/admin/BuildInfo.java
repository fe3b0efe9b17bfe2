package io.sscmic.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * {@code sscmic_build_info{node, version, java}} = 1: which build and JVM each node runs, so that a
 * query can join it onto any other series (and a mixed-version mesh shows during an upgrade).
 * Registered with each admin port: a node without one is not scraped.
 */
public final class BuildInfo {
  /** The build's version from the jar manifest ("dev" when run from classes). */
  public static final String VERSION = Objects.requireNonNullElse(
      BuildInfo.class.getPackage().getImplementationVersion(), "dev");

  private BuildInfo() {
  }

  static void register(MeterRegistry registry, String node) {
    Gauge.builder("sscmic.build.info", () -> 1)
        .description("1, labelled with the build's version and the JVM's (java.runtime.version)")
        .tag("node", node).tag("version", VERSION).tag("java", System.getProperty("java.runtime.version", "unknown"))
        .strongReference(true).register(registry);
  }
}
