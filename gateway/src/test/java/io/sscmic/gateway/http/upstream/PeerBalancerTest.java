package io.sscmic.gateway.http.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.sscmic.gateway.resolve.Endpoint;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which peer a request goes to. Balancing reads only each peer's outstanding count and health, so
 * the peers here are never started (no tunnel entry); time is passed in, so ejections need no wait.
 */
class PeerBalancerTest {
  private static final long NOW = 1_000_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private static UpstreamPeer peer(int i) {
    return new UpstreamPeer("web", new Endpoint("10.0.0." + i, 7443, null), null);
  }

  @Test
  void theHealthyPeerWithFewestOutstandingRequestsWins() {
    UpstreamPeer a = peer(1);
    UpstreamPeer b = peer(2);
    UpstreamPeer c = peer(3);
    PeerBalancer balancer = new PeerBalancer(List.of(a, b, c));
    a.begin();
    a.begin();
    b.begin();
    for (int i = 0; i < 10; i++) {
      assertSame(c, balancer.pick(null, NOW), "c has no request outstanding (pick " + i + ")");
    }
    c.begin();
    c.begin();
    for (int i = 0; i < 10; i++) {
      assertSame(b, balancer.pick(null, NOW), "b has one outstanding, a and c two");
    }
    b.end();
    a.end();
    a.end();
    c.end();
    c.end();
    assertEquals(0, a.outstanding() + b.outstanding() + c.outstanding());
  }

  @Test
  void tiesAreBrokenRoundRobin() {
    List<UpstreamPeer> peers = List.of(peer(1), peer(2), peer(3));
    PeerBalancer balancer = new PeerBalancer(peers);
    Set<UpstreamPeer> firstThree = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      firstThree.add(balancer.pick(null, NOW));
    }
    assertEquals(Set.copyOf(peers), firstThree, "three idle peers: three picks, three peers");
    Map<UpstreamPeer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      counts.merge(balancer.pick(null, NOW), 1, Integer::sum);
    }
    peers.forEach(p -> assertEquals(100, counts.get(p), "an idle mesh spreads evenly: " + counts));
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
    for (int i = 0; i < 4; i++) {
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
