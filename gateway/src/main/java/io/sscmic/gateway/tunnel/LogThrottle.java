package io.sscmic.gateway.tunnel;

/**
 * At most one log line a second for a condition a flood can trigger at will (refusals, limits):
 * the counter counts every occurrence, the log must not become the attack's amplifier.
 */
public final class LogThrottle {
  private long last = System.nanoTime() - 2_000_000_000L;

  /** True when a line may be logged now. */
  public synchronized boolean allow() {
    long now = System.nanoTime();
    if (now - last < 1_000_000_000L) {
      return false;
    }
    last = now;
    return true;
  }
}
