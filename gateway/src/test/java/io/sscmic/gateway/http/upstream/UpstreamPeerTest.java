package io.sscmic.gateway.http.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.resolve.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One peer as the HTTP listener sees it: its passive and active health (time passed in, so the
 * ejection schedule is checked without waiting for it), and its pool over the tunnel entry, with a
 * real Vert.x HTTP server standing in for the tunnel.
 */
class UpstreamPeerTest {
  private static final long NOW = 1_000_000_000_000L;

  private static UpstreamPeer peer() {
    return new UpstreamPeer("web", new Endpoint("10.0.0.7", 7443, "orders-1"), null);
  }

  private static long seconds(double s) {
    return (long) (s * 1_000_000_000L);
  }

  @Test
  void twoFailuresInARowEjectAndASuccessInBetweenForgives() {
    UpstreamPeer p = peer();
    assertFalse(p.failed(NOW));
    p.succeeded();
    assertFalse(p.failed(NOW), "the count started again after the success");
    assertTrue(p.healthy(NOW));
    assertTrue(p.failed(NOW), "the second failure in a row ejects");
    assertFalse(p.healthy(NOW));
    assertFalse(p.healthy(NOW + seconds(1.999)));
    assertTrue(p.healthy(NOW + seconds(2)), "back after " + UpstreamPeer.BASE_EJECTION);
  }

  @Test
  void eachEjectionWithoutASuccessDoublesUpToTheMaximum() {
    UpstreamPeer p = peer();
    long now = NOW;
    for (long expected : new long[] {2, 4, 8, 16, 30, 30}) {
      p.failed(now);
      assertTrue(p.failed(now));
      assertFalse(p.healthy(now + seconds(expected) - 1), "ejected for " + expected + " s");
      assertTrue(p.healthy(now + seconds(expected)), "ejected for " + expected + " s only");
      now += seconds(expected);
    }
    p.succeeded();
    p.failed(now);
    p.failed(now);
    assertTrue(p.healthy(now + seconds(2)), "a success resets the backoff to " + UpstreamPeer.BASE_EJECTION);
  }

  @Test
  void aFailedProbeTakesThePeerOutUntilAProbePasses() {
    UpstreamPeer p = peer();
    Duration interval = Duration.ofSeconds(5);
    assertTrue(p.probedUnhealthy(NOW, interval), "the first failed probe takes it out of rotation");
    assertFalse(p.probedUnhealthy(NOW + seconds(1), interval), "already out: not counted again");
    assertFalse(p.healthy(NOW + seconds(10)), "out for twice the interval after the last failed probe");
    assertTrue(p.healthy(NOW + seconds(11)));
    p.probedUnhealthy(NOW, interval);
    p.probedHealthy();
    assertTrue(p.healthy(NOW), "a passing probe restores it at once");
  }

  @Test
  void outstandingCountsRequestsInFlight() {
    UpstreamPeer p = peer();
    p.begin();
    p.begin();
    p.end();
    assertEquals(1, p.outstanding());
    assertEquals("web@10.0.0.7:7443", p.toString());
  }

  /** A real HTTP server in the tunnel's place; it counts connections and holds {@code /hold} until released. */
  private static final class ServerEntry implements TunnelEntry {
    final Vertx vertx;
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger maxOpen = new AtomicInteger();
    final Promise<Void> release = Promise.promise();
    final AtomicInteger held = new AtomicInteger();
    HttpServer server;

    ServerEntry(Vertx vertx) {
      this.vertx = vertx;
    }

    @Override
    public Future<Integer> listen(SocketAddress address) {
      server = vertx.createHttpServer().connectionHandler(c -> {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        c.closeHandler(v -> open.decrementAndGet());
      }).requestHandler(req -> {
        held.incrementAndGet();
        release.future().onComplete(x -> req.response().end("done"));
      });
      return server.listen(address).map(HttpServer::actualPort);
    }

    @Override
    public Future<Void> close(Duration drain) {
      return server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void itsPoolBoundsConnectionsAndAClosePreservesRequestsInFlight() throws Exception {
    Vertx vertx = TestVertx.create();
    try {
      ServerEntry entry = new ServerEntry(vertx);
      UpstreamPeer p = new UpstreamPeer("web", new Endpoint("10.0.0.7", 7443, null), entry);
      await(p.start(vertx, 2, Duration.ofSeconds(5)));
      int port = entry.server.actualPort();
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        answers.add(p.http().request(HttpMethod.GET, "/hold").compose(r -> r.send()).compose(r -> r.body())
            .map(Object::toString));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (entry.held.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(2, entry.held.get(), "two requests on the wire, four waiting for a pooled connection");
      Future<Void> closed = p.close(Duration.ofSeconds(20));
      entry.release.complete();
      for (Future<String> a : answers.subList(0, 2)) {
        assertEquals("done", await(a), "a request in flight when the peer closes finishes");
      }
      await(closed);
      assertEquals(2, entry.maxOpen.get(), "never more connections than the pool's bound");
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
          "the tunnel entry no longer accepts once the peer is closed");
    } finally {
      await(vertx.close());
    }
  }
}
