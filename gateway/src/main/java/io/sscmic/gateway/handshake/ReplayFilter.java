package io.sscmic.gateway.handshake;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Remembers the ephemeral public keys of accepted INITs for as long as an INIT of their epoch is
 * acceptable (Tc + 1 back to Tc - 1 - W, W the grace window's retained epochs), so a recorded INIT
 * played again inside that window is refused as {@code replay}. An INIT whose epoch precedes the
 * filter's start (the node's start: a restart empties the filter) is refused as {@code stale_epoch}.
 * Bounded: when full, new INITs are refused as {@code overloaded} rather than evicting entries
 * (eviction would reopen replays). One filter per node, shared by its connections: thread-safe.
 *
 * <p>A replay that got through would still fail at FINISH: the replayer lacks the ephemeral private
 * key, so the filter saves the responder's DH and signature work rather than the protocol's secrecy.
 */
public final class ReplayFilter {
  public static final int DEFAULT_MAX_ENTRIES = 100_000;
  private final long startEpoch;
  private final int windowEpochs;
  private final int maxEntries;
  private final Map<ByteBuffer, Long> seen = new HashMap<>();
  private final ArrayDeque<Entry> order = new ArrayDeque<>();

  private record Entry(long epoch, ByteBuffer key) {
  }

  /**
   * @param startEpoch the node's epoch when it started: older INITs are refused
   * @param retainedEpochs W, the epochs older than Kp that the key schedule keeps (KeySchedule.retainedEpochs)
   */
  public ReplayFilter(long startEpoch, int retainedEpochs, int maxEntries) {
    this.startEpoch = startEpoch;
    this.windowEpochs = 2 + retainedEpochs;
    this.maxEntries = maxEntries;
  }

  public long startEpoch() {
    return startEpoch;
  }

  /**
   * Records {@code ephemeral} of an INIT sealed at {@code initEpoch}, received at {@code nowEpoch};
   * refuses a key already seen, an epoch before the start, or a full filter.
   */
  public synchronized void admit(byte[] ephemeral, long initEpoch, long nowEpoch) throws HandshakeFailure {
    if (initEpoch < startEpoch) {
      throw new HandshakeFailure(AlertReason.STALE_EPOCH,
          "INIT of epoch " + initEpoch + " precedes this node's start at epoch " + startEpoch);
    }
    expire(nowEpoch);
    ByteBuffer key = ByteBuffer.wrap(ephemeral.clone());
    if (seen.containsKey(key)) {
      throw new HandshakeFailure(AlertReason.REPLAY, "ephemeral key already used in epoch " + seen.get(key));
    }
    if (seen.size() >= maxEntries) {
      throw new HandshakeFailure(AlertReason.OVERLOADED, "replay filter full (" + maxEntries + " INITs in the window)");
    }
    seen.put(key, initEpoch);
    order.addLast(new Entry(initEpoch, key));
  }

  /** Entries still held (for tests and a gauge). */
  public synchronized int size() {
    return seen.size();
  }

  private void expire(long nowEpoch) {
    // An INIT of epoch e is acceptable while nowEpoch - e <= 1 + W; entries are nearly in epoch order.
    while (!order.isEmpty() && nowEpoch - order.peekFirst().epoch() >= windowEpochs) {
      seen.remove(order.pollFirst().key());
    }
  }
}
