package io.sscmic.keysyn;

/**
 * The key vector r = (N, Tc, Kp, Kn) of one epoch, plus R(Kn) for a receiver that lags. Immutable:
 * readers take it from an atomic reference and never wait (this replaces the patent's lock V).
 * Key bytes never leave this class except to a derivation; toString shows epochs only.
 */
public final class KeyState {
  private final long epoch;
  private final byte[] previous;
  private final byte[] current;
  private final byte[] next;

  private KeyState(long epoch, byte[] previous, byte[] current, byte[] next) {
    this.epoch = epoch;
    this.previous = previous;
    this.current = current;
    this.next = next;
  }

  /** The state at {@code epoch} of a chain whose key at {@code anchorEpoch} is {@code anchorKey}. */
  public static KeyState at(long anchorEpoch, byte[] anchorKey, long epoch) {
    if (epoch < anchorEpoch) {
      throw new IllegalArgumentException("epoch " + epoch + " precedes the chain's start " + anchorEpoch);
    }
    if (epoch == anchorEpoch) {
      byte[] cur = anchorKey.clone();
      return new KeyState(epoch, null, cur, Ratchet.next(cur));
    }
    byte[] prev = Ratchet.advance(anchorKey, epoch - anchorEpoch - 1);
    byte[] cur = Ratchet.next(prev);
    return new KeyState(epoch, prev, cur, Ratchet.next(cur));
  }

  /**
   * A state received from elsewhere (recovery from the authority): Kp may be null when the epoch
   * is the first of its chain.
   */
  public static KeyState of(long epoch, byte[] previous, byte[] current) {
    byte[] cur = current.clone();
    return new KeyState(epoch, previous == null ? null : previous.clone(), cur, Ratchet.next(cur));
  }

  /** A state whose next key is given rather than R(Kn): the last epoch before a re-seeded chain. */
  public static KeyState of(long epoch, byte[] previous, byte[] current, byte[] next) {
    return new KeyState(epoch, previous == null ? null : previous.clone(), current.clone(), next.clone());
  }

  /**
   * This state with K(N+1) replaced by the first key of a new chain that starts at N+1
   * (re-seeding): advancing then switches chains, and a sender already at N+1 is understood.
   */
  public KeyState withNext(byte[] nextChainKey) {
    return new KeyState(epoch, previous, current, nextChainKey.clone());
  }

  /** The state one epoch later: Kp = Kn, Kn = K(N+1) (R(Kn) unless a new chain starts), Tc + 1. */
  public KeyState advance() {
    return new KeyState(epoch + 1, current, next, Ratchet.next(next));
  }

  /** Advances {@code steps} epochs; cost is one hash per step. */
  public KeyState advance(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("key state only moves forward");
    }
    if (steps > 2) {
      // From K(N+1), which is R(Kn) or the first key of a new chain.
      byte[] prev = Ratchet.advance(next, steps - 2);
      byte[] cur = Ratchet.next(prev);
      return new KeyState(epoch + steps, prev, cur, Ratchet.next(cur));
    }
    KeyState s = this;
    for (long i = 0; i < steps; i++) {
      s = s.advance();
    }
    return s;
  }

  public long epoch() {
    return epoch;
  }

  public int tc() {
    return EpochClock.tcOf(epoch);
  }

  /**
   * Signed distance from this state's Tc to a frame's D in 16-bit serial order (RFC 1982):
   * 0 same epoch, -1 sender behind, +1 sender ahead.
   */
  public int distanceTo(int d) {
    return (short) ((d - tc()) & 0xFFFF);
  }

  /** The key role for header D, or null when D is two or more epochs away (or Kp is absent). */
  public KeyRole roleFor(int d) {
    switch (distanceTo(d)) {
      case 0:
        return KeyRole.CURRENT;
      case 1:
        return KeyRole.NEXT;
      case -1:
        return previous == null ? null : KeyRole.PREVIOUS;
      default:
        return null;
    }
  }

  /** The absolute epoch number the header D names, relative to this state. */
  public long epochFor(int d) {
    return epoch + distanceTo(d);
  }

  /**
   * The chain key for a role. Callers feed it straight into a derivation and do not keep it.
   */
  public byte[] chainKey(KeyRole role) {
    switch (role) {
      case PREVIOUS:
        if (previous == null) {
          throw new IllegalStateException("no previous key at the chain's first epoch");
        }
        return previous;
      case CURRENT:
        return current;
      default:
        return next;
    }
  }

  /** Kp, or null at the chain's first epoch. */
  byte[] previousOrNull() {
    return previous;
  }

  @Override
  public String toString() {
    return "KeyState{epoch=" + epoch + ", tc=" + tc() + "}";
  }
}
