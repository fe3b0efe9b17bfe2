package io.sscmic.keysyn;

/**
 * The start of a key chain: its chain key at a known epoch. The genesis chain starts at epoch 0
 * with K0 derived from the mesh seed; a re-seeded chain starts at a later epoch.
 */
public final class ChainAnchor {
  private final long epoch;
  private final byte[] key;

  public ChainAnchor(long epoch, byte[] key) {
    if (key.length != Ratchet.KEY_LENGTH) {
      throw new IllegalArgumentException("chain key must be " + Ratchet.KEY_LENGTH + " bytes");
    }
    this.epoch = epoch;
    this.key = key.clone();
  }

  /** The genesis chain of a mesh: K0 = HKDF(seed, "genesis"), anchored at epoch 0. */
  public static ChainAnchor genesis(byte[] seed) {
    return new ChainAnchor(0, Kdf.derive(seed, "genesis", Ratchet.KEY_LENGTH));
  }

  public long epoch() {
    return epoch;
  }

  /** The key state at {@code target}; linear in the distance from the anchor, so call it on a worker. */
  public KeyState stateAt(long target) {
    return KeyState.at(epoch, key, target);
  }

  @Override
  public String toString() {
    return "ChainAnchor{epoch=" + epoch + "}";
  }
}
