package io.sscmic.gateway.http;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the peer for a request: the healthy peer with the fewest outstanding requests, ties
 * broken round robin so that an idle mesh still spreads its load.
 */
final class PeerBalancer {
  private final List<UpstreamPeer> peers;
  private final AtomicInteger next = new AtomicInteger();

  PeerBalancer(List<UpstreamPeer> peers) {
    this.peers = List.copyOf(peers);
  }

  List<UpstreamPeer> peers() {
    return peers;
  }

  /** A healthy peer other than {@code avoid}, or null when there is none. */
  UpstreamPeer pick(UpstreamPeer avoid) {
    long now = System.nanoTime();
    int start = Math.floorMod(next.getAndIncrement(), peers.size());
    UpstreamPeer best = null;
    for (int i = 0; i < peers.size(); i++) {
      UpstreamPeer p = peers.get((start + i) % peers.size());
      if (p != avoid && p.healthy(now) && (best == null || p.outstanding() < best.outstanding())) {
        best = p;
      }
    }
    return best;
  }
}
