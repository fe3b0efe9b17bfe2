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
  /** A stream the sweeper watches (a {@link TunnelRelay}; tests use their own). */
  interface Stream {
    long lastActivityNanos();

    /** Nothing moved for {@code limit}: close, telling the peer. */
    void idleTimeout(Duration limit);

    /** The node stops without waiting for this stream. */
    void shutdown();
  }

  private final Vertx vertx;
  private final Duration idle;
  private final Set<Stream> relays = new HashSet<>();
  private long timer = -1;

  /** @param idle zero disables the sweeper */
  IdleSweeper(Vertx vertx, Duration idle) {
    this.vertx = vertx;
    this.idle = idle;
  }

  /** Tracks the relay (for {@link #abortAll}) and, unless the idle timeout is zero, checks it for idleness. */
  void add(Stream relay) {
    relays.add(relay);
    if (timer < 0 && !idle.isZero()) {
      long period = Math.max(50, Math.min(30_000, idle.toMillis() / 4));
      timer = vertx.setPeriodic(period, t -> sweep());
    }
  }

  void remove(Stream relay) {
    relays.remove(relay);
  }

  /** Closes every open stream now (the peer is told: shutting down). */
  void abortAll() {
    for (Stream r : Set.copyOf(relays)) {
      r.shutdown();
    }
  }

  private void sweep() {
    long limit = System.nanoTime() - idle.toNanos();
    for (Stream r : Set.copyOf(relays)) {
      if (r.lastActivityNanos() < limit) {
        r.idleTimeout(idle);
      }
    }
  }

  void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
