package io.sscmic.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connector against real loopback listeners: round robin, passing over an endpoint that just
 * failed, and endpoint sets changed live by the resolver.
 */
class TunnelConnectorTest {
  private final Vertx vertx = Vertx.vertx();
  private final List<AtomicInteger> accepted = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private <T> T on(Supplier<Future<T>> action) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    vertx.runOnContext(v -> action.get().onComplete(ar -> {
      if (ar.succeeded()) {
        f.complete(ar.result());
      } else {
        f.completeExceptionally(ar.cause());
      }
    }));
    return f.get(30, TimeUnit.SECONDS);
  }

  /** A listener that counts (and closes) the connections it gets. */
  private Endpoint server() throws Exception {
    AtomicInteger count = new AtomicInteger();
    accepted.add(count);
    NetServer s = vertx.createNetServer().connectHandler(so -> {
      count.incrementAndGet();
      so.close();
    });
    int port = s.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
        .actualPort();
    return new Endpoint("127.0.0.1", port, null);
  }

  /** A port where nothing listens (bound once, then released). */
  private static Endpoint dead() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return new Endpoint("127.0.0.1", s.getLocalPort(), null);
    }
  }

  private TunnelConnector connector(StaticPeerResolver resolver) throws Exception {
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000));
    return on(() -> Future.succeededFuture(new TunnelConnector(client, resolver, "svc", e -> { })));
  }

  private Endpoint connect(TunnelConnector c) throws Exception {
    TunnelConnector.Connection conn = on(c::connect);
    conn.socket().close();
    return conn.endpoint();
  }

  @Test
  void connectionsGoRoundRobin() throws Exception {
    Endpoint a = server();
    Endpoint b = server();
    TunnelConnector c = connector(new StaticPeerResolver(Map.of("svc", List.of(a, b))));
    List<Endpoint> picked = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      picked.add(connect(c));
    }
    assertEquals(List.of(a, b, a, b), picked);
  }

  @Test
  void anEndpointThatJustFailedIsPassedOverAndTheNextOneServes() throws Exception {
    Endpoint down = dead();
    Endpoint up = server();
    TunnelConnector c = connector(new StaticPeerResolver(Map.of("svc", List.of(down, up))));
    assertEquals(up, connect(c), "the dead endpoint failed, the next one answered within the same connect");
    for (int i = 0; i < 4; i++) {
      assertEquals(up, connect(c), "the dead endpoint is skipped while it is in its back-off");
    }
  }

  @Test
  void endpointChangesApplyToTheNextConnection() throws Exception {
    Endpoint a = server();
    Endpoint b = server();
    StaticPeerResolver resolver = new StaticPeerResolver(Map.of("svc", List.of(a)));
    TunnelConnector c = connector(resolver);
    assertEquals(a, connect(c));
    resolver.update("svc", List.of(b));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!c.endpoints().equals(List.of(b)) && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertEquals(b, connect(c), "the new endpoint, without a new connector");
    assertEquals(b, connect(c));
  }

  @Test
  void noEndpointOrNoneReachableIsUnreachable() throws Exception {
    StaticPeerResolver resolver = new StaticPeerResolver(Map.of());
    TunnelConnector none = connector(resolver);
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> connect(none));
    assertEquals(List.of(), assertInstanceOf(TunnelConnector.Unreachable.class, e.getCause()).tried());
    Endpoint d1 = dead();
    Endpoint d2 = dead();
    resolver.update("svc", List.of(d1, d2));
    Thread.sleep(100);
    ExecutionException e2 = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> connect(none));
    assertEquals(2, assertInstanceOf(TunnelConnector.Unreachable.class, e2.getCause()).tried().size(),
        "each endpoint tried once");
  }
}
