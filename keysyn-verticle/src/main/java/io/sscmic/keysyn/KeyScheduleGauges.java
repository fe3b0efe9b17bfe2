package io.sscmic.keysyn;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The key schedule's epoch gauges, present only while they have a value: {@code sscmic_keysyn_epoch}
 * from the first key state on, {@code sscmic_keysyn_reseed_epoch} while a re-seed is announced and
 * still ahead. No NaN meaning "none": a missing series says it ({@code absent()} or
 * {@code sscmic_keysyn_ready} in a query). The owner calls {@link #refresh()} on each rotation and
 * whenever it reads the schedule for a status; a new announcement shows from the next one.
 */
public final class KeyScheduleGauges {
  public static final String EPOCH = "sscmic.keysyn.epoch";
  public static final String RESEED_EPOCH = "sscmic.keysyn.reseed.epoch";

  private final MeterRegistry registry;
  private final String node;
  private final KeySchedule schedule;
  private Gauge epoch;
  private Gauge reseed;

  public KeyScheduleGauges(MeterRegistry registry, String node, KeySchedule schedule) {
    this.registry = registry;
    this.node = node;
    this.schedule = schedule;
    refresh();
  }

  /** The announced re-seed's epoch if it is still ahead of the key in force, else null. */
  public static Long upcomingReseed(KeySchedule schedule) {
    KeyState s = schedule.current();
    ChainAnchor p = schedule.pending();
    return p != null && (s == null || p.epoch() > s.epoch()) ? p.epoch() : null;
  }

  /** Adds or removes the gauges to match the schedule now. */
  public synchronized void refresh() {
    if (epoch == null && schedule.isReady()) {
      // The schedule never loses its key state once it has one: this gauge stays.
      epoch = Gauge.builder(EPOCH, schedule, s -> s.current().epoch())
          .description("The epoch N of the key in force (Tc = N mod 65536); absent before the first key state")
          .tag("node", node).strongReference(true).register(registry);
    }
    Long upcoming = upcomingReseed(schedule);
    if (upcoming != null && reseed == null) {
      reseed = Gauge.builder(RESEED_EPOCH, schedule, s -> {
            ChainAnchor p = s.pending();
            return p == null ? upcoming : p.epoch();
          })
          .description("The epoch at which the announced re-seed switches chains; present only while one is ahead")
          .tag("node", node).strongReference(true).register(registry);
    } else if (upcoming == null && reseed != null) {
      registry.remove(reseed);
      reseed = null;
    }
  }
}
