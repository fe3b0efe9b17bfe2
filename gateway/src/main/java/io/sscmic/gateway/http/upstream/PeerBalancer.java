package io.sscmic.gateway.http.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the peer for a request: the healthy peer with the fewest outstanding requests, ties
 * broken round robin so that an idle mesh still spreads its load. The peer set changes live
 * ({@link ServicePeers}); a pick reads one immutable snapshot of it, so it needs no lock.
 */
public final class PeerBalancer {
  private volatile List<UpstreamPeer> peers;
  private final AtomicInteger next = new AtomicInteger();

  public PeerBalancer(List<UpstreamPeer> peers) {
    this.peers = List.copyOf(peers);
  }

  /** The peers in rotation or ejected, as of now. */
  public List<UpstreamPeer> peers() {
    return peers;
  }

  /** How many peers the service has (the {@code sscmic_http_peers} gauge). */
  public int size() {
    return peers.size();
  }

  /** How many take traffic now (the {@code sscmic_http_peers_healthy} gauge). */
  public int healthy(long nowNanos) {
    int n = 0;
    for (UpstreamPeer p : peers) {
      n += p.healthy(nowNanos) ? 1 : 0;
    }
    return n;
  }

  synchronized void add(UpstreamPeer peer) {
    List<UpstreamPeer> more = new ArrayList<>(peers);
    more.add(peer);
    peers = List.copyOf(more);
  }

  synchronized void remove(UpstreamPeer peer) {
    List<UpstreamPeer> fewer = new ArrayList<>(peers);
    fewer.remove(peer);
    peers = List.copyOf(fewer);
  }

  /** A healthy peer other than {@code avoid}, or null when there is none. */
  public UpstreamPeer pick(UpstreamPeer avoid) {
    return pick(avoid, System.nanoTime());
  }

  UpstreamPeer pick(UpstreamPeer avoid, long nowNanos) {
    List<UpstreamPeer> now = peers;
    if (now.isEmpty()) {
      return null;
    }
    int start = Math.floorMod(next.getAndIncrement(), now.size());
    UpstreamPeer best = null;
    for (int i = 0; i < now.size(); i++) {
      UpstreamPeer p = now.get((start + i) % now.size());
      if (p != avoid && p.healthy(nowNanos) && (best == null || p.outstanding() < best.outstanding())) {
        best = p;
      }
    }
    return best;
  }
}
