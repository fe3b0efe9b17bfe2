package io.sscmic.gateway.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HelloReplayCacheTest {
  private static byte[] random(int n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    b[1] = (byte) (n >>> 8);
    b[2] = (byte) (n >>> 16);
    return b;
  }

  @Test
  void aRandomIsAcceptedOnceWithinTheWindow() {
    HelloReplayCache cache = new HelloReplayCache(100, 0);
    assertTrue(cache.firstSeen(random(1), 10));
    assertFalse(cache.firstSeen(random(1), 10));
    assertFalse(cache.firstSeen(random(1), 12));
    assertTrue(cache.firstSeen(random(2), 12));
  }

  @Test
  void entriesOlderThanTheWindowAreDropped() {
    HelloReplayCache cache = new HelloReplayCache(100, 0);
    cache.firstSeen(random(1), 10);
    cache.firstSeen(random(2), 11);
    cache.firstSeen(random(3), 20);
    assertEquals(1, cache.size(), "epochs 10 and 11 are outside [17, 20]");
  }

  @Test
  void memoryIsBoundedByCapacity() {
    HelloReplayCache cache = new HelloReplayCache(1000, 0);
    for (int i = 0; i < 50_000; i++) {
      cache.firstSeen(random(i), 5);
    }
    assertEquals(1000, cache.size());
  }

  @Test
  void theCallersArrayIsNotKept() {
    HelloReplayCache cache = new HelloReplayCache(10, 0);
    byte[] r = random(9);
    cache.firstSeen(r, 1);
    r[5] = 42;
    assertFalse(cache.firstSeen(random(9), 1), "the stored copy is unaffected by later changes");
  }
}
