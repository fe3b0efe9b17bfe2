package io.sscmic.keysyn;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * KeySyn: installs the key state for the current epoch, then advances it exactly at each epoch
 * boundary of the {@link EpochClock} (a timer re-armed from the clock each time, so it never
 * drifts), and announces every tick on the local event bus. Announcements carry epoch numbers and
 * timing only, never keys.
 */
public final class KeySynVerticle extends VerticleBase {
  /** Local-only address of tick announcements: {@code {node, epoch, tc, nextRotationMillis}}. */
  public static final String TICK_ADDRESS = "sscmic.keysyn.tick";
  private static final Logger LOG = Logger.getLogger(KeySynVerticle.class.getName());
  /** Beyond this many steps (a long suspend) the catch-up runs on a worker. */
  private static final long INLINE_STEPS = 64;

  private final String node;
  private final EpochClock clock;
  private final KeySchedule schedule;
  private final KeyStateSource source;
  private long timerId = -1;
  private boolean stopped;
  private Promise<Void> installing;
  private long announced;

  /** @param node the node's id, named in log lines and tick announcements */
  public KeySynVerticle(String node, EpochClock clock, KeySchedule schedule, KeyStateSource source) {
    this.node = node;
    this.clock = clock;
    this.schedule = schedule;
    this.source = source;
  }

  /** Completes once the key state is installed; a failing source is retried with backoff. */
  @Override
  public Future<?> start() {
    installing = Promise.promise();
    attempt(installing, RetryBackoff.FIRST_MILLIS);
    return installing.future();
  }

  private void attempt(Promise<Void> installed, long backoffMillis) {
    if (stopped) {
      installed.tryFail("stopped before a key state was installed");
      return;
    }
    long epoch = clock.currentEpoch();
    if (epoch < 0) {
      installed.fail(new IllegalStateException("the clock says epoch " + epoch + ": genesis " + clock.genesis()
          + " is in the future"));
      return;
    }
    source.initialState(vertx, epoch).onComplete(ar -> {
      if (ar.succeeded()) {
        KeyState state = ar.result();
        if (!schedule.isReady() || schedule.current().epoch() < state.epoch()) {
          schedule.install(state);
        }
        schedule.advanceTo(clock.currentEpoch());
        source.follow(vertx, schedule, clock);
        announced = schedule.current().epoch();
        LOG.info(() -> node + ": key state ready at epoch " + schedule.current().epoch() + " (tc "
            + schedule.current().tc() + ") from " + source.describe() + ", interval " + clock.interval().toMillis()
            + " ms");
        tick();
        installed.tryComplete();
      } else if (ar.cause() instanceof IllegalStateException) {
        installed.tryFail(ar.cause());
      } else {
        long next = RetryBackoff.next(backoffMillis);
        long delay = RetryBackoff.jittered(backoffMillis);
        LOG.warning(() -> node + ": no key state yet: " + ar.cause().getMessage() + "; retrying in "
            + delay + " ms (not ready until then)");
        timerId = vertx.setTimer(delay, t -> attempt(installed, next));
      }
    });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(timerId);
    if (installing != null) {
      installing.tryFail("stopped before a key state was installed");
    }
    return source.close();
  }

  private void tick() {
    if (stopped) {
      return;
    }
    long target = clock.currentEpoch();
    // Against what was announced, not the schedule: readers may already have moved it (it follows the clock).
    long steps = target - announced;
    if (steps <= 0) {
      arm();
    } else if (steps <= INLINE_STEPS) {
      announced = target;
      announce(schedule.advanceTo(target), steps);
      arm();
    } else {
      announced = target;
      LOG.warning(() -> node + ": " + steps + " epochs behind (process suspended?), catching up on a worker");
      vertx.executeBlocking(() -> schedule.advanceTo(target))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              announce(ar.result(), steps);
            } else {
              LOG.log(Level.SEVERE, node + ": key schedule catch-up failed", ar.cause());
            }
            arm();
          });
    }
  }

  private void arm() {
    if (!stopped) {
      timerId = vertx.setTimer(clock.millisUntilNextEpoch(), id -> tick());
    }
  }

  private void announce(KeyState state, long steps) {
    ChainAnchor switched = schedule.pending();
    if (switched != null && state.epoch() >= switched.epoch() && state.epoch() - steps < switched.epoch()) {
      LOG.info(() -> node + ": switched to the re-seeded key chain at epoch " + switched.epoch());
    }
    if (steps > 1) {
      LOG.warning(node + ": skipped " + (steps - 1) + " epoch(s), now at epoch " + state.epoch());
    }
    LOG.fine(() -> node + ": rotated to epoch " + state.epoch() + " (tc " + state.tc() + ")");
    JsonObject tick = new JsonObject()
        .put("node", node)
        .put("epoch", state.epoch())
        .put("tc", state.tc())
        .put("nextRotationMillis", clock.millisUntilNextEpoch());
    vertx.eventBus().publish(TICK_ADDRESS, tick, new DeliveryOptions().setLocalOnly(true));
  }
}
