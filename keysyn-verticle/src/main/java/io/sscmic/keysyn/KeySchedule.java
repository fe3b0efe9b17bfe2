package io.sscmic.keysyn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the node's current {@link KeyState}. One writer (the KeySyn verticle) swaps in a new state
 * at each epoch boundary; any thread reads it without locking.
 */
public final class KeySchedule {
  /** Steps a reader may ratchet inline; a longer catch-up is the KeySyn verticle's, on a worker. */
  private static final long INLINE_STEPS = 16;
  /**
   * How long a frame may spend between sealer and opener (socket buffers, a stalled event loop,
   * a GC pause) and still open. With an interval at least this long, Kp covers it and nothing is
   * retained; with shorter intervals the keys of the last GRACE are kept for established streams.
   */
  public static final Duration GRACE = Duration.ofSeconds(1);
  /** Upper bound on retained keys, whatever the interval. */
  private static final int MAX_RETAINED = 64;
  private final AtomicReference<KeyState> state = new AtomicReference<>();
  private final EpochClock clock;
  private volatile ChainAnchor pending;
  private final int retainedEpochs;
  /** Chain keys older than Kp still inside {@link #GRACE}, newest first; replaced, never mutated. */
  private volatile Retained[] retained = new Retained[0];

  private record Retained(long epoch, byte[] key) {
  }

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
    this.retainedEpochs = clock == null ? 0 : retainedEpochs(clock.interval());
  }

  /** Epochs kept beyond Kp so that {@link #GRACE} is covered: 0 when the interval alone covers it. */
  static int retainedEpochs(Duration interval) {
    long intervals = (GRACE.toMillis() + interval.toMillis() - 1) / interval.toMillis();
    return (int) Math.min(MAX_RETAINED, Math.max(0, intervals - 1));
  }

  /** How many epochs older than Kp stay open for frames in flight (0 when the interval covers {@link #GRACE}). */
  public int retainedEpochs() {
    return retainedEpochs;
  }

  /**
   * The chain key that header {@code d} names against {@code state}: Kp, Kn or R(Kn), or a key
   * retained within {@link #GRACE}; null when the header is out of reach (refuse the frame).
   */
  public byte[] keyFor(KeyState state, int d) {
    KeyRole role = state.roleFor(d);
    if (role != null) {
      return state.chainKey(role);
    }
    return state.distanceTo(d) < 0 ? retainedKey(state.epochFor(d)) : null;
  }

  /**
   * The chain key of a past epoch older than Kp, if it is still inside the grace window; null
   * otherwise. Only for frames of established streams and hellos delayed in flight: callers check
   * {@link KeyState#roleFor} first.
   */
  public byte[] retainedKey(long epoch) {
    for (Retained r : retained) {
      if (r.epoch() == epoch) {
        return r.key();
      }
    }
    return null;
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
    retained = new Retained[0];
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
    retain(s, next);
    state.set(next);
    return next;
  }

  /**
   * Keeps the keys that leave the state's window (Kp, and Kn on a jump) while they are inside the
   * grace window; keys of epochs jumped over in one step were never in a state and cannot be.
   */
  private void retain(KeyState before, KeyState after) {
    if (retainedEpochs == 0) {
      return;
    }
    long oldest = after.epoch() - 1 - retainedEpochs;
    ArrayList<Retained> kept = new ArrayList<>(retainedEpochs);
    for (long e = before.epoch(); e >= before.epoch() - 1; e--) {
      if (e < after.epoch() - 1 && e >= oldest && e >= 0) {
        byte[] key = e == before.epoch() ? before.chainKey(KeyRole.CURRENT) : before.previousOrNull();
        if (key != null) {
          kept.add(new Retained(e, key));
        }
      }
    }
    for (Retained r : retained) {
      if (r.epoch() >= oldest && r.epoch() < before.epoch() - 1) {
        kept.add(r);
      }
    }
    retained = kept.toArray(new Retained[0]);
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
