package io.sscmic.keysyn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class KeySynVerticleTest {
  private static final Duration INTERVAL = Duration.ofMillis(50);
  private final ChainAnchor anchor = ChainAnchor.genesis("keysyn verticle test seed, 32 bytes+".getBytes());

  @Test
  void ticksOnEveryBoundaryAcrossTheWrapAndAnnouncesEpochsOnly(Vertx vertx, VertxTestContext test) throws Throwable {
    // Epoch 65436 now: Tc wraps about 5 s later, whatever the start-up time on a loaded machine.
    EpochClock clock = new EpochClock(Instant.now().minusMillis(65436 * INTERVAL.toMillis()), INTERVAL);
    KeySchedule schedule = new KeySchedule();
    List<JsonObject> ticks = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> {
      JsonObject t = m.body();
      // The state is installed before its epoch is announced: a listener never sees it behind the
      // tick. It may be ahead: the event bus hands the tick over asynchronously, and on a loaded
      // machine the next 50 ms boundary was once installed first (state 65520 at tick 65518).
      if (schedule.current().epoch() < t.getLong("epoch")) {
        test.failNow("state " + schedule.current().epoch() + " behind tick " + t.getLong("epoch"));
      }
      ticks.add(t);
      if (t.getLong("epoch") >= 65536 + 6 && ticks.size() >= 14) {
        test.completeNow();
      }
    });
    vertx.deployVerticle(new KeySynVerticle("n1", clock, schedule, anchor));
    assertTrue(test.awaitCompletion(60, TimeUnit.SECONDS), "ticks past the wrap");
    if (test.failed()) {
      throw test.causeOfFailure();
    }
    boolean wrapped = false;
    for (int i = 0; i < ticks.size(); i++) {
      JsonObject t = ticks.get(i);
      assertEquals(Set.of("node", "epoch", "tc", "nextRotationMillis"), t.fieldNames(), "epoch numbers only");
      assertEquals("n1", t.getString("node"));
      assertEquals(t.getLong("epoch") % 65536, (long) t.getInteger("tc"));
      if (i > 0) {
        assertTrue(t.getLong("epoch") > ticks.get(i - 1).getLong("epoch"), "strictly increasing");
        // Across the wrap Tc falls back (65535 -> 0, or past 0 when a late tick skipped an epoch;
        // every tick's Tc is its epoch mod 2^16, checked above).
        if (ticks.get(i - 1).getInteger("tc") > t.getInteger("tc")) {
          wrapped = true;
        }
      }
    }
    long steps = ticks.get(ticks.size() - 1).getLong("epoch") - ticks.get(0).getLong("epoch");
    // A 50 ms timer on a loaded 2-core machine fires late now and then (each late tick announces the
    // epochs it skipped); a periodic timer that drifted or stopped would skip far more.
    assertTrue(steps <= 2L * ticks.size() + 2, "ticks follow the boundaries, few skipped: " + steps + " epochs in "
        + ticks.size() + " ticks");
    assertTrue(wrapped, "Tc wrapped from 65535 back to 0");
  }

  @Test
  void aGenesisInTheFutureIsRefusedAtStart(Vertx vertx, VertxTestContext test) {
    EpochClock clock = new EpochClock(Instant.now().plusSeconds(3600), Duration.ofSeconds(1));
    vertx.deployVerticle(new KeySynVerticle("n2", clock, new KeySchedule(), anchor))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertTrue(e.getMessage().contains("in the future"), e.getMessage());
          test.completeNow();
        })));
  }

  @Test
  void undeployStopsTheTicks(Vertx vertx, VertxTestContext test) throws Throwable {
    EpochClock clock = new EpochClock(Instant.now().minusSeconds(10), INTERVAL);
    KeySchedule schedule = new KeySchedule();
    List<JsonObject> ticks = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>localConsumer(KeySynVerticle.TICK_ADDRESS, m -> ticks.add(m.body()));
    vertx.deployVerticle(new KeySynVerticle("n3", clock, schedule, anchor))
        .compose(id -> vertx.timer(200).compose(v -> vertx.undeploy(id)))
        .onComplete(test.succeeding(v -> {
          int atUndeploy = ticks.size();
          long epochAtUndeploy = schedule.current().epoch();
          vertx.setTimer(300, t -> test.verify(() -> {
            assertTrue(atUndeploy >= 1, "ticked while deployed");
            assertEquals(atUndeploy, ticks.size(), "no tick after undeploy");
            assertEquals(epochAtUndeploy, schedule.current().epoch());
            test.completeNow();
          }));
        }));
  }
}
