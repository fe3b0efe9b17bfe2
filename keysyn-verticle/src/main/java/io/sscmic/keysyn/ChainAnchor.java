package io.sscmic.keysyn;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The start of a key chain: its chain key at a known epoch. The genesis chain starts at epoch 0
 * with K0 derived from the mesh seed; a re-seeded chain starts at a later epoch.
 */
public final class ChainAnchor implements KeyStateSource {
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

  /** A new chain from {@code epoch} on with a fresh random key (re-seeding). */
  public static ChainAnchor random(long epoch, java.security.SecureRandom random) {
    byte[] key = new byte[Ratchet.KEY_LENGTH];
    random.nextBytes(key);
    return new ChainAnchor(epoch, key);
  }

  public long epoch() {
    return epoch;
  }

  /** The chain key at the anchor's epoch; for sealing it to a node or storing it, nothing else. */
  public byte[] key() {
    return key.clone();
  }

  /** The key state at {@code target}; linear in the distance from the anchor, so call it on a worker. */
  public KeyState stateAt(long target) {
    return KeyState.at(epoch, key, target);
  }

  @Override
  public Future<KeyState> initialState(Vertx vertx, long localEpoch) {
    if (localEpoch < epoch) {
      return Future.failedFuture(new IllegalStateException("the key chain starts at epoch " + epoch
          + " but the clock says epoch " + localEpoch + " (is the genesis in the future?)"));
    }
    return vertx.executeBlocking(() -> stateAt(localEpoch));
  }

  @Override
  public String describe() {
    return "the mesh seed";
  }

  @Override
  public String toString() {
    return "ChainAnchor{epoch=" + epoch + "}";
  }
}
