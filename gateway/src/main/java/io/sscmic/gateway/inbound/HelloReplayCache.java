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
 */
public final class HelloReplayCache {
  private final long windowEpochs;
  private final int capacity;
  private final LinkedHashMap<ByteBuffer, Long> seen = new LinkedHashMap<>();

  /** The node's cache: sized for {@link InboundListener#REPLAY_CACHE_ENTRIES}, windowed to the schedule's grace. */
  public static HelloReplayCache forSchedule(KeySchedule schedule) {
    return new HelloReplayCache(InboundListener.REPLAY_CACHE_ENTRIES, schedule.retainedEpochs());
  }

  /** @param retainedEpochs epochs older than Kp that the key schedule still accepts */
  HelloReplayCache(int capacity, int retainedEpochs) {
    this.capacity = capacity;
    this.windowEpochs = 3L + retainedEpochs;
  }

  /** Records the random; false if it was already seen (a replay). */
  synchronized boolean firstSeen(byte[] clientRandom, long epoch) {
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
