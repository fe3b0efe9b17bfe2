package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The re-seed an operator sees announced (issue 19: a re-seed that had taken effect was still shown
 * as "scheduled"): the gauge and the dashboards' figure exist while the new chain is ahead of the
 * key in force, and are gone from the epoch it takes over.
 */
class KeyScheduleGaugesTest {
  @Test
  void anAnnouncedReseedShowsUntilItsEpochAndNotAfter() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KeySchedule schedule = new KeySchedule();
    KeyScheduleGauges gauges = new KeyScheduleGauges(registry, "n1", schedule);
    schedule.install(ChainAnchor.genesis(new byte[32]).stateAt(10));
    gauges.refresh();
    assertNull(KeyScheduleGauges.upcomingReseed(schedule), "nothing announced");
    assertNull(registry.find(KeyScheduleGauges.RESEED_EPOCH).gauge(), "no gauge meaning 'none'");

    byte[] chain = new byte[32];
    chain[0] = 7;
    schedule.schedule(new ChainAnchor(13, chain));
    gauges.refresh();
    assertEquals(13L, KeyScheduleGauges.upcomingReseed(schedule));
    Gauge announced = registry.find(KeyScheduleGauges.RESEED_EPOCH).tag("node", "n1").gauge();
    assertEquals(13.0, announced.value(), "the dashboard's countdown target");

    schedule.advanceTo(12);
    gauges.refresh();
    assertEquals(13L, KeyScheduleGauges.upcomingReseed(schedule), "one epoch before: still ahead");

    schedule.advanceTo(13);
    gauges.refresh();
    assertEquals(13, schedule.pending().epoch(), "the schedule keeps the anchor it switched to");
    assertNull(KeyScheduleGauges.upcomingReseed(schedule), "in force now, no longer 'scheduled'");
    assertNull(registry.find(KeyScheduleGauges.RESEED_EPOCH).gauge(), "the gauge left with it");
  }
}
