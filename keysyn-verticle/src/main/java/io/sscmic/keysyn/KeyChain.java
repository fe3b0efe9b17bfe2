package io.sscmic.keysyn;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The authority's whole key stream: the genesis chain from the seed, then each re-seeded chain
 * from its epoch on. K(N) is R^(N - a)(A) for the last anchor (a, A) at or before N.
 */
public final class KeyChain implements KeyStateSource {
  private final List<ChainAnchor> anchors;

  /** @param anchors the genesis anchor first; later anchors at increasing epochs */
  public KeyChain(List<ChainAnchor> anchors) {
    List<ChainAnchor> sorted = new ArrayList<>(anchors);
    sorted.sort(Comparator.comparingLong(ChainAnchor::epoch));
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("a key chain needs its genesis anchor");
    }
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).epoch() == sorted.get(i - 1).epoch()) {
        throw new IllegalArgumentException("two chains start at epoch " + sorted.get(i).epoch());
      }
    }
    this.anchors = List.copyOf(sorted);
  }

  private ChainAnchor anchorAt(long epoch) {
    ChainAnchor found = null;
    for (ChainAnchor a : anchors) {
      if (a.epoch() <= epoch) {
        found = a;
      }
    }
    if (found == null) {
      throw new IllegalArgumentException("epoch " + epoch + " precedes the key chain");
    }
    return found;
  }

  /** The state at {@code epoch}, across chain switches; linear in the distance: call on a worker. */
  public KeyState stateAt(long epoch) {
    ChainAnchor a = anchorAt(epoch);
    KeyState s = a.stateAt(epoch);
    if (a.epoch() == epoch && epoch > anchors.get(0).epoch()) {
      // The first epoch of a re-seeded chain: Kp is the old chain's last key.
      s = KeyState.of(epoch, anchorAt(epoch - 1).stateAt(epoch - 1).chainKey(KeyRole.CURRENT), a.key());
    }
    ChainAnchor next = pendingAfter(epoch);
    return next != null && next.epoch() == epoch + 1 ? s.withNext(next.key()) : s;
  }

  /** The first chain that starts after {@code epoch}, or null. */
  public ChainAnchor pendingAfter(long epoch) {
    for (ChainAnchor a : anchors) {
      if (a.epoch() > epoch) {
        return a;
      }
    }
    return null;
  }

  public List<ChainAnchor> anchors() {
    return anchors;
  }

  @Override
  public Future<KeyState> initialState(Vertx vertx, long localEpoch) {
    if (localEpoch < anchors.get(0).epoch()) {
      return Future.failedFuture(new IllegalStateException("the clock says epoch " + localEpoch
          + ", before the key chain starts"));
    }
    return vertx.executeBlocking(() -> stateAt(localEpoch));
  }

  @Override
  public void follow(Vertx vertx, KeySchedule schedule, EpochClock clock) {
    ChainAnchor next = pendingAfter(schedule.current().epoch());
    if (next != null) {
      schedule.schedule(next);
    }
  }

  @Override
  public String describe() {
    return anchors.size() == 1 ? "the mesh seed" : "the mesh seed and " + (anchors.size() - 1) + " re-seed(s)";
  }
}
