package io.sscmic.gateway.inbound;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets per source address for new inbound handshakes, so one source cannot make the
 * sidecar spend its CPU on HMACs and key derivations. The table keeps the most recently seen
 * sources only (bounded memory under spoofed-looking floods). Shared by the listener's event
 * loops: a source's connections land on all of them, and its bucket is one.
 */
final class HandshakeRateLimit {
  private static final int MAX_SOURCES = 4096;
  private final double perSecond;
  private final double burst;
  private final Map<String, double[]> buckets = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > MAX_SOURCES;
    }
  };

  HandshakeRateLimit(int perSecond) {
    this.perSecond = perSecond;
    this.burst = 2.0 * perSecond;
  }

  /** Takes a token for {@code source}; false when its bucket is empty. */
  synchronized boolean tryAcquire(String source, long nowNanos) {
    double[] b = buckets.computeIfAbsent(source, k -> new double[] {burst, nowNanos});
    double elapsed = (nowNanos - (long) b[1]) / 1e9;
    b[0] = Math.min(burst, b[0] + elapsed * perSecond);
    b[1] = nowNanos;
    if (b[0] < 1) {
      return false;
    }
    b[0] -= 1;
    return true;
  }
}
