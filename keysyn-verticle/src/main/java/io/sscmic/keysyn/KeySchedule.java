package io.sscmic.keysyn;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the node's current {@link KeyState}. One writer (the KeySyn verticle) swaps in a new state
 * at each epoch boundary; any thread reads it without locking.
 */
public final class KeySchedule {
  private final AtomicReference<KeyState> state = new AtomicReference<>();

  /** The current state, or null before the first state is installed (node not ready). */
  public KeyState current() {
    return state.get();
  }

  public boolean isReady() {
    return state.get() != null;
  }

  public void install(KeyState newState) {
    Objects.requireNonNull(newState);
    state.set(newState);
  }

  /**
   * Moves the state forward to {@code epoch}; a no-op when already there or beyond (the ratchet
   * never moves back).
   *
   * @return the state in force afterwards
   */
  public KeyState advanceTo(long epoch) {
    return state.updateAndGet(s -> s == null || epoch <= s.epoch() ? s : s.advance(epoch - s.epoch()));
  }
}
