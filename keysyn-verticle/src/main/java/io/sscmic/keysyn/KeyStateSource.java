package io.sscmic.keysyn;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Where a node gets its key state at start: computed from the seed it holds, or recovered from
 * the authority after a restart (claim 3).
 */
public interface KeyStateSource {
  /** The key state at or near {@code localEpoch}; may fail with a reason worth logging. */
  Future<KeyState> initialState(Vertx vertx, long localEpoch);

  /** For log lines: where the state comes from. */
  String describe();
}
