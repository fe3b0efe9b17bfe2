package io.sscmic.keysyn;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Where a node gets its key state at start: computed from the seed it holds, or recovered from
 * the authority after a restart (claim 3).
 */
public interface KeyStateSource {
  /**
   * The key state at or near {@code localEpoch}. A failure is retried with backoff and its message
   * logged, except an {@link IllegalStateException}, which means retrying cannot help (a
   * configuration error) and fails the start.
   */
  Future<KeyState> initialState(Vertx vertx, long localEpoch);

  /** For log lines: where the state comes from. */
  String describe();

  /**
   * Called once the first state is installed: a source that learns of re-seeds (the authority)
   * keeps the schedule informed from here on.
   */
  default void follow(Vertx vertx, KeySchedule schedule, EpochClock clock) {
  }

  /** Releases clients and timers; the node calls it when it stops. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
