package io.sscmic.keysyn;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the node's current {@link KeyState}. One writer (the KeySyn verticle) swaps in a new state
 * at each epoch boundary; any thread reads it without locking.
 */
public final class KeySchedule {
  /** Steps a reader may ratchet inline; a longer catch-up is the KeySyn verticle's, on a worker. */
  private static final long INLINE_STEPS = 16;
  private final AtomicReference<KeyState> state = new AtomicReference<>();
  private final EpochClock clock;
  private volatile ChainAnchor pending;

  /** A schedule that moves only when told ({@link #advanceTo}). */
  public KeySchedule() {
    this(null);
  }

  /**
   * A schedule that also follows {@code clock} when read: a tick that comes late (a stalled event
   * loop, a GC pause) cannot make a node seal or judge frames with last epoch's key.
   */
  public KeySchedule(EpochClock clock) {
    this.clock = clock;
  }

  /** The current state, or null before the first state is installed (node not ready). */
  public KeyState current() {
    KeyState s = state.get();
    if (s != null && clock != null) {
      long now = clock.currentEpoch();
      if (now > s.epoch() && now - s.epoch() <= INLINE_STEPS) {
        return advanceTo(now);
      }
    }
    return s;
  }

  public boolean isReady() {
    return state.get() != null;
  }

  public synchronized void install(KeyState newState) {
    Objects.requireNonNull(newState);
    state.set(splice(newState, pending));
  }

  /**
   * Announces a new chain (re-seeding) that replaces the ratchet from {@code next.epoch()} on:
   * K(E) is the new chain's key instead of R(K(E-1)). It must lie in the future of the state in
   * force, so every node switches at the same epoch boundary.
   */
  public synchronized void schedule(ChainAnchor next) {
    KeyState s = state.get();
    if (s != null && next.epoch() <= s.epoch()) {
      throw new IllegalArgumentException("a new chain from epoch " + next.epoch() + " comes too late: already at epoch "
          + s.epoch());
    }
    pending = next;
    if (s != null) {
      state.set(splice(s, next));
    }
  }

  /** The announced next chain, or null; stays set after the switch (then in the past). */
  public ChainAnchor pending() {
    return pending;
  }

  /**
   * Moves the state forward to {@code epoch}, switching chains at an announced re-seed; a no-op
   * when already there or beyond (the ratchet never moves back).
   *
   * @return the state in force afterwards
   */
  public synchronized KeyState advanceTo(long epoch) {
    KeyState s = state.get();
    if (s == null || epoch <= s.epoch()) {
      return s;
    }
    KeyState next = advance(s, epoch, pending);
    state.set(next);
    return next;
  }

  /** {@code s} moved to {@code target}, switching to {@code nextChain} at its epoch if it is crossed. */
  public static KeyState advance(KeyState s, long target, ChainAnchor nextChain) {
    if (nextChain != null && s.epoch() < nextChain.epoch() && target >= nextChain.epoch()) {
      KeyState before = s.advance(nextChain.epoch() - 1 - s.epoch()).withNext(nextChain.key());
      return before.advance().advance(target - nextChain.epoch());
    }
    return splice(s.advance(target - s.epoch()), nextChain);
  }

  private static KeyState splice(KeyState s, ChainAnchor nextChain) {
    return nextChain != null && s.epoch() == nextChain.epoch() - 1 ? s.withNext(nextChain.key()) : s;
  }
}
