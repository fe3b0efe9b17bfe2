package io.sscmic.gateway.http.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the peer for each request (not each connection: the pools underneath are per peer, so
 * every request is balanced on its own): power of two choices over peak-EWMA cost, as Linkerd and
 * Finagle do. Two healthy peers are drawn at random and the one with the lower
 * {@link UpstreamPeer#cost(long)} (latency times outstanding requests plus one) wins: a slow or busy
 * peer loses traffic at once, and the random draw keeps many sidecars from herding onto the same
 * "best" peer. With two peers that is plain comparison; with one, that one.
 *
 * <p>The peer set changes live ({@link ServicePeers}); a pick reads one immutable snapshot of it,
 * so it needs no lock. The service's {@link RetryBudget} lives here too, beside the peers it
 * protects.
 */
public final class PeerBalancer {
  private volatile List<UpstreamPeer> peers;
  private final RandomGenerator random;
  private final RetryBudget budget;

  public PeerBalancer(List<UpstreamPeer> peers) {
    this(peers, null, new RetryBudget(RetryBudget.Settings.DEFAULT));
  }

  /** @param random the draws, or null for a thread-local one; a seeded one makes tests repeatable */
  public PeerBalancer(List<UpstreamPeer> peers, RandomGenerator random, RetryBudget budget) {
    this.peers = List.copyOf(peers);
    this.random = random;
    this.budget = budget;
  }

  /** The peers in rotation or ejected, as of now. */
  public List<UpstreamPeer> peers() {
    return peers;
  }

  public RetryBudget budget() {
    return budget;
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
    int n = now.size();
    if (n == 0) {
      return null;
    }
    RandomGenerator r = random == null ? ThreadLocalRandom.current() : random;
    if (n > 2) {
      // The common case: two distinct draws; fall back to a scan only when they are not eligible.
      int i = r.nextInt(n);
      int j = r.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      UpstreamPeer a = now.get(i);
      UpstreamPeer b = now.get(j);
      boolean aOk = a != avoid && a.healthy(nowNanos);
      boolean bOk = b != avoid && b.healthy(nowNanos);
      if (aOk && bOk) {
        return cheaper(a, b, r, nowNanos);
      }
    }
    // Few peers, or a draw hit an ejected or avoided one: two of the eligible ones, drawn the same way.
    List<UpstreamPeer> eligible = new ArrayList<>(n);
    for (UpstreamPeer p : now) {
      if (p != avoid && p.healthy(nowNanos)) {
        eligible.add(p);
      }
    }
    int m = eligible.size();
    if (m == 0) {
      return null;
    }
    if (m == 1) {
      return eligible.get(0);
    }
    int i = r.nextInt(m);
    int j = r.nextInt(m - 1);
    if (j >= i) {
      j++;
    }
    return cheaper(eligible.get(i), eligible.get(j), r, nowNanos);
  }

  private static UpstreamPeer cheaper(UpstreamPeer a, UpstreamPeer b, RandomGenerator r, long nowNanos) {
    double ca = a.cost(nowNanos);
    double cb = b.cost(nowNanos);
    if (ca == cb) {
      // An idle mesh: spread rather than always favour the first drawn.
      return r.nextBoolean() ? a : b;
    }
    return ca < cb ? a : b;
  }
}
