package io.sscmic.authority.chain;

import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;

/**
 * Schedules a new key chain from a future epoch (post-compromise security) by appending it to the
 * authority's chain file, which the running authority watches and announces. Shared by
 * {@code sscmic reseed} and the dashboard's re-seed action. Blocking (file work, SecureRandom).
 */
public final class Reseed {
  /** Why a re-seed cannot be scheduled, in words for the operator. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  private Reseed() {
  }

  /** @return what was scheduled, for the operator */
  public static String schedule(AuthorityFiles files, EpochClock clock, boolean method1, Duration lead,
                                SecureRandom random) throws Refused, IOException {
    if (method1) {
      throw new Refused("this authority serves recovery method 1 (nodes that hold the seed compute keys from it"
          + " and would not follow a re-seed); create a new mesh with sscmic init instead");
    }
    long now = clock.currentEpoch();
    // At least three intervals ahead: nodes need time to ask (authority.refresh) before the switch.
    Duration minimum = clock.interval().multipliedBy(3);
    long epoch = clock.epochAt(clock.nowMillis() + Math.max(lead.toMillis(), minimum.toMillis())) + 1;
    Path file = files.file(ChainFile.NAME);
    for (ChainAnchor pending : ChainFile.read(file)) {
      if (pending.epoch() > now) {
        throw new Refused("a re-seed is already scheduled at epoch " + pending.epoch() + "; wait until it has "
            + "taken effect");
      }
    }
    ChainFile.append(file, ChainAnchor.random(epoch, random));
    return "re-seed scheduled: a new key chain from epoch " + epoch + " (tc " + EpochClock.tcOf(epoch)
        + "), at " + Instant.ofEpochMilli(clock.startOf(epoch)) + ", written to " + file;
  }
}
