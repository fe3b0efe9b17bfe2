package io.sscmic.gateway.http.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.resolve.Endpoint;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which peer a request goes to: power of two choices over peak-EWMA cost. Balancing reads only each
 * peer's outstanding count, latency and health, so
 * the peers here are never started (no tunnel entry); time is passed in, so ejections need no wait.
 */
class PeerBalancerTest {
  private static final long NOW = 1_000_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private static UpstreamPeer peer(int i) {
    return new UpstreamPeer("web", new Endpoint("10.0.0." + i, 7443, null), null);
  }

  /** Seeded draws: the same picks on every run. */
  private static PeerBalancer balancer(List<UpstreamPeer> peers) {
    return new PeerBalancer(peers, new Random(42), new RetryBudget(RetryBudget.Settings.DEFAULT));
  }

  @Test
  void ofTwoPeersTheOneWithFewerOutstandingRequestsAlwaysWins() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    PeerBalancer balancer = balancer(List.of(a, b));
    a.begin();
    a.begin();
    b.begin();
    for (int i = 0; i < 50; i++) {
      assertSame(b, balancer.pick(null, NOW), "b has one outstanding, a two (pick " + i + ")");
    }
  }

  /**
   * Power of two choices: of three peers, the busiest loses every draw it is in, so it is never
   * picked; the idle one wins every draw it is in (two of three draws include it).
   */
  @Test
  void theBusiestOfThreeIsNeverPickedAndTheIdlestMostOften() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    UpstreamPeer c = peer(3);
    PeerBalancer balancer = balancer(List.of(a, b, c));
    for (int i = 0; i < 5; i++) {
      a.begin();
    }
    b.begin();
    Map<UpstreamPeer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(balancer.pick(null, NOW), 1, Integer::sum);
    }
    assertNull(counts.get(a), "a (5 outstanding) loses every pair: " + counts);
    assertTrue(counts.get(c) > 1800 && counts.get(c) < 2200, "c wins the 2/3 of draws that include it: " + counts);
  }

  /** Peak EWMA: with equal load, the slower peer loses its draws; a slow sample counts at once. */
  @Test
  void aSlowerPeerGetsLessTrafficAtEqualLoad() {
    UpstreamPeer fast = peer(1);
    UpstreamPeer slow = peer(2);
    PeerBalancer balancer = balancer(List.of(fast, slow));
    fast.observe(2_000_000, NOW);
    slow.observe(40_000_000, NOW);
    for (int i = 0; i < 20; i++) {
      assertSame(fast, balancer.pick(null, NOW));
    }
    // The fast one now has many requests outstanding: 2 ms x 25 > 40 ms x 1.
    for (int i = 0; i < 24; i++) {
      fast.begin();
    }
    assertSame(slow, balancer.pick(null, NOW), "latency times load: the slow idle peer wins against a queue");
    // The peak takes a slower sample at once.
    fast.observe(100_000_000, NOW + SECOND);
    assertEquals(100_000_000, fast.latencyNanos(NOW + SECOND), 1);
    // And forgets it over time: 10 s later a 2 ms sample pulls it most of the way back.
    fast.observe(2_000_000, NOW + 11 * SECOND);
    assertTrue(fast.latencyNanos(NOW + 11 * SECOND) < 40_000_000, "decayed: " + fast.latencyNanos(NOW + 11 * SECOND));
  }

  /**
   * A peer that was slow once and then lost every draw gets no new sample; its cost decays with
   * time anyway, so it is tried again (else one slow answer would starve it for good).
   */
  @Test
  void aPeerThatWasSlowOnceIsTriedAgainLater() {
    UpstreamPeer once = peer(1);
    UpstreamPeer steady = peer(2);
    PeerBalancer balancer = balancer(List.of(once, steady));
    once.observe(500_000_000, NOW);
    steady.observe(5_000_000, NOW);
    assertSame(steady, balancer.pick(null, NOW + SECOND));
    // steady keeps answering in 5 ms; once gets no sample, but half a second of peak fades.
    for (long t = 2; t < 60; t++) {
      steady.observe(5_000_000, NOW + t * SECOND);
    }
    assertSame(once, balancer.pick(null, NOW + 60 * SECOND), "its old peak has decayed below 5 ms");
  }

  /**
   * A peer taken out by its health probe and brought back by the next passing one starts afresh:
   * its latency from before its trouble (a slow peak) would otherwise lose every draw against a
   * peer with fresh samples until it decayed (HttpHealthProbeTest waited 20 s for it in vain).
   */
  @Test
  void aPeerBackFromAFailedProbeIsTriedAtOnce() {
    UpstreamPeer back = peer(1);
    UpstreamPeer steady = peer(2);
    PeerBalancer balancer = balancer(List.of(back, steady));
    back.observe(500_000_000, NOW);
    steady.observe(5_000_000, NOW);
    back.probedUnhealthy(NOW, java.time.Duration.ofSeconds(1));
    assertSame(steady, balancer.pick(null, NOW + SECOND), "out of rotation");
    back.probedHealthy();
    steady.observe(5_000_000, NOW + 2 * SECOND);
    assertSame(back, balancer.pick(null, NOW + 2 * SECOND), "back, and tried before its old peak has faded");
  }

  @Test
  void idlePeersShareTheLoadEvenly() {
    List<UpstreamPeer> peers = List.of(peer(1), peer(2), peer(3));
    PeerBalancer balancer = balancer(peers);
    Map<UpstreamPeer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(balancer.pick(null, NOW), 1, Integer::sum);
    }
    peers.forEach(p -> assertTrue(counts.get(p) > 850 && counts.get(p) < 1150, "an idle mesh spreads evenly: "
        + counts));
  }

  @Test
  void ejectedPeersAreSkippedUntilTheirEjectionEnds() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    PeerBalancer balancer = new PeerBalancer(List.of(a, b));
    a.failed(NOW);
    a.failed(NOW);
    assertEquals(1, balancer.healthy(NOW));
    for (int i = 0; i < 10; i++) {
      assertSame(b, balancer.pick(null, NOW + SECOND), "a is ejected for 2 s");
    }
    Set<UpstreamPeer> later = new HashSet<>();
    // Equal costs: the draw decides, so enough picks that both show (4 missed one in 8 runs).
    for (int i = 0; i < 64; i++) {
      later.add(balancer.pick(null, NOW + 2 * SECOND));
    }
    assertEquals(Set.of(a, b), later, "a is back once its ejection has passed");

    b.failed(NOW);
    b.failed(NOW);
    a.failed(NOW);
    a.failed(NOW);
    assertNull(balancer.pick(null, NOW + SECOND), "every peer ejected: none to pick (the caller answers 503)");
    assertEquals(0, balancer.healthy(NOW + SECOND));
  }

  @Test
  void aRetryAvoidsThePeerThatFailed() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    PeerBalancer balancer = new PeerBalancer(List.of(a, b));
    b.begin();
    for (int i = 0; i < 10; i++) {
      assertSame(b, balancer.pick(a, NOW), "a is avoided although it is the least loaded");
    }
    assertNull(new PeerBalancer(List.of(a)).pick(a, NOW), "the only peer avoided: none to pick");
  }

  @Test
  void peersAddedAndRemovedLiveArePickedOrNoLonger() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    PeerBalancer balancer = new PeerBalancer(List.of());
    assertNull(balancer.pick(null, NOW), "no peers: none to pick");
    assertEquals(0, balancer.size());
    balancer.add(a);
    assertSame(a, balancer.pick(null, NOW));
    balancer.add(b);
    a.begin();
    assertSame(b, balancer.pick(null, NOW));
    balancer.remove(b);
    for (int i = 0; i < 10; i++) {
      assertNotSame(b, balancer.pick(null, NOW), "a removed peer is never picked");
    }
    assertEquals(List.of(a), balancer.peers());
    assertEquals(1, balancer.size());
  }
}
