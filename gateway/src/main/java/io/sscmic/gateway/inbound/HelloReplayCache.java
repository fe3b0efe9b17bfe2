package io.sscmic.gateway.inbound;

import io.sscmic.keysyn.KeySchedule;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Client randoms of hellos accepted in the last few epochs. A hello is valid for at most three
 * epochs (D = Tc-1, Tc, Tc+1) plus the epochs the schedule retains for its grace window, so a
 * recorded hello replayed inside that window is caught here and refused before any backend
 * connection opens; older ones fail the epoch check. Bounded: when full, the oldest entries go
 * first. Thread-safe.
 *
 * <p>The memory is the process's: a hello accepted before a restart is unknown to it. So a hello
 * from an epoch before the cache's first epoch (the epoch the node started in) counts as a replay:
 * it cannot be checked, and a member's own hellos are always of the current epochs.
 */
public final class HelloReplayCache {
  private final long windowEpochs;
  private final int capacity;
  private final LinkedHashMap<ByteBuffer, Long> seen = new LinkedHashMap<>();
  /** Hellos of earlier epochs may have been accepted by an earlier process: refused unchecked. */
  private long firstEpoch = Long.MIN_VALUE;

  /**
   * The node's cache: sized for {@link InboundListener#REPLAY_CACHE_ENTRIES}, windowed to the
   * schedule's grace; its memory starts at the epoch of the first hello it judges (use
   * {@link #startingAt} when the node's start epoch is known).
   */
  public static HelloReplayCache forSchedule(KeySchedule schedule) {
    return new HelloReplayCache(InboundListener.REPLAY_CACHE_ENTRIES, schedule.retainedEpochs());
  }

  /** The node's cache, whose memory starts at {@code startEpoch} (the epoch the process started in). */
  public static HelloReplayCache forSchedule(KeySchedule schedule, long startEpoch) {
    return forSchedule(schedule).startingAt(startEpoch);
  }

  /** Sets the first epoch this cache vouches for, unless one is set already; returns this cache. */
  public synchronized HelloReplayCache startingAt(long epoch) {
    if (firstEpoch == Long.MIN_VALUE) {
      firstEpoch = epoch;
    }
    return this;
  }

  /** Hellos of epochs before this one are refused as possible replays from before a restart. */
  public synchronized long firstEpoch() {
    return firstEpoch;
  }

  /** @param retainedEpochs epochs older than Kp that the key schedule still accepts */
  HelloReplayCache(int capacity, int retainedEpochs) {
    this.capacity = capacity;
    this.windowEpochs = 3L + retainedEpochs;
  }

  /** Records the random; false if it was already seen (a replay). */
  synchronized boolean firstSeen(byte[] clientRandom, long epoch) {
    if (epoch < firstEpoch) {
      return false;
    }
    expire(epoch);
    ByteBuffer key = ByteBuffer.wrap(clientRandom.clone());
    if (seen.containsKey(key)) {
      return false;
    }
    if (seen.size() >= capacity) {
      Iterator<Map.Entry<ByteBuffer, Long>> it = seen.entrySet().iterator();
      it.next();
      it.remove();
    }
    seen.put(key, epoch);
    return true;
  }

  synchronized int size() {
    return seen.size();
  }

  private void expire(long epoch) {
    Iterator<Map.Entry<ByteBuffer, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue() >= epoch - windowEpochs) {
        return;
      }
      it.remove();
    }
  }
}
