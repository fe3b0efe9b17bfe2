package io.sscmic.gateway.config;

import io.sscmic.keysyn.Seed;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/** Where a node reads the mesh seed: a file, an environment variable, or (tests, demo) memory. */
public abstract class SeedSource {
  private static final Logger LOG = Logger.getLogger(SeedSource.class.getName());

  private final String configKey;

  private SeedSource(String configKey) {
    this.configKey = configKey;
  }

  /** The config key this seed comes from ({@code keysyn.seed-file} or {@code keysyn.seed-env}), or null. */
  public String configKey() {
    return configKey;
  }

  /** Reads the seed; touches the file system, so call it on a worker. */
  public abstract byte[] read() throws IOException;

  public abstract String describe();

  public static SeedSource file(Path path) {
    return new SeedSource("keysyn.seed-file") {
      @Override
      public byte[] read() throws IOException {
        byte[] seed = Seed.readFile(path);
        if (Seed.isExposed(path)) {
          LOG.warning("seed file " + path + " is readable by group or others: chmod 600 it");
        }
        return seed;
      }

      @Override
      public String describe() {
        return "file " + path;
      }
    };
  }

  public static SeedSource env(String variable) {
    return new SeedSource("keysyn.seed-env") {
      @Override
      public byte[] read() throws IOException {
        String v = System.getenv(variable);
        if (v == null || v.isBlank()) {
          throw new IOException("environment variable " + variable + " (keysyn.seed-env) is not set");
        }
        return Seed.parse(v, "environment variable " + variable);
      }

      @Override
      public String describe() {
        return "environment variable " + variable;
      }
    };
  }

  /** A seed held in memory: for the demo and tests, never from a config file. */
  public static SeedSource memory(byte[] seed) {
    byte[] copy = seed.clone();
    return new SeedSource(null) {
      @Override
      public byte[] read() {
        return copy.clone();
      }

      @Override
      public String describe() {
        return "memory";
      }
    };
  }
}
