package io.sscmic.gateway.tunnel;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * Closes streams on which nothing has moved in either direction for the idle timeout, so that
 * connections abandoned without a close (a vanished peer host, a forgotten client) do not hold
 * sockets and memory forever. One periodic check per listener, on the listener's event loop.
 */
final class IdleSweeper {
  private final Vertx vertx;
  private final Duration idle;
  private final Set<TunnelRelay> relays = new HashSet<>();
  private long timer = -1;

  /** @param idle zero disables the sweeper */
  IdleSweeper(Vertx vertx, Duration idle) {
    this.vertx = vertx;
    this.idle = idle;
  }

  void add(TunnelRelay relay) {
    if (idle.isZero()) {
      return;
    }
    relays.add(relay);
    if (timer < 0) {
      long period = Math.max(50, Math.min(30_000, idle.toMillis() / 4));
      timer = vertx.setPeriodic(period, t -> sweep());
    }
  }

  void remove(TunnelRelay relay) {
    relays.remove(relay);
  }

  private void sweep() {
    long limit = System.nanoTime() - idle.toNanos();
    for (TunnelRelay r : Set.copyOf(relays)) {
      if (r.lastActivityNanos() < limit) {
        r.idleTimeout(idle);
      }
    }
  }

  void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    relays.clear();
  }
}
