package io.sscmic.gateway.config;

import java.time.Duration;
import java.time.Instant;

/**
 * The {@code keysyn} section: the mesh's key schedule.
 *
 * @param seed the mesh seed, or null for a node that recovers its key state from the authority
 */
public record KeysynSection(Instant genesis, Duration interval, SeedSource seed) {
  public KeysynSection withSeed(SeedSource s) {
    return new KeysynSection(genesis, interval, s);
  }
}
