package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An application connection accepted by a Vert.x NetServer, carried over a stream (AppStreams with a NetSocket). */
class AppStreamsNetSocketTest {
  private MuxPair pair;
  private Vertx vertx;
  /** Application connections closed on the node. */
  private final java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();

  @BeforeAll
  static void paranoid() {
    LeakWatch.paranoid();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (pair != null) {
      pair.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private InetSocketAddress netServer(String service, AtomicReference<Future<Void>> relay) throws Exception {
    vertx = Vertx.vertx();
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
        .connectHandler(socket -> {
          // As the outbound listener takes a connection before it knows whether v1 or v2 carries it.
          socket.pause();
          io.sscmic.gateway.tunnel.TcpHalfClose.enable(socket);
          // The socket's channel, not its close handler: the relay sets that one for itself.
          io.sscmic.gateway.vertx.VertxInternals.channel(socket).closeFuture()
              .addListener(f -> closed.incrementAndGet());
          relay.set(AppStreams.relay(pair.pool, pair.endpoint, service, socket));
        });
    server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return new InetSocketAddress("127.0.0.1", server.actualPort());
  }

  @Test
  void aVertxSocketReachesTheEchoAndKeepsTheReplyAfterItsFin() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = netServer("echo", relay);
    byte[] request = "through a NetSocket\n".repeat(20_000).getBytes(StandardCharsets.UTF_8); // 400 KB: back-pressure
    try (Socket s = new Socket()) {
      s.connect(app, 10_000);
      s.setSoTimeout(30_000);
      CompletableFuture<byte[]> reply = CompletableFuture.supplyAsync(() -> {
        try {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          s.getInputStream().transferTo(out);
          return out.toByteArray();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      s.getOutputStream().write(request);
      s.shutdownOutput();
      assertEquals(new String(request, StandardCharsets.UTF_8),
          new String(reply.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
    relay.get().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    MuxLoopbackTest.waitFor(() -> closed.get() == 1, "the socket closed on the node");
  }

  /**
   * Connections that send their whole request and their FIN at once, while the pool is still
   * dialling its first connection to the peer (a handshake of several milliseconds): everything
   * they sent before their stream opened must reach the service, and each gets its full answer and
   * then EOF. A relay that attached to the socket only once the stream was open lost those bytes
   * under load (they went to Vert.x's paused socket); the node held the connection until the
   * application timed out.
   */
  @Test
  void requestsAndFinsSentBeforeTheirStreamsOpenAllArrive() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = netServer("echo", relay);
    int n = 20;
    // One thread per client: all of them connect and send while the first dial is under way.
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(n);
    java.util.List<CompletableFuture<String>> replies = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      String request = ("request " + i + " sent with its FIN before the stream opened\n").repeat(50);
      replies.add(CompletableFuture.supplyAsync(() -> {
        try (Socket s = new Socket()) {
          s.connect(app, 10_000);
          s.setSoTimeout(30_000);
          s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
          s.shutdownOutput();
          return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, clients));
    }
    clients.shutdown();
    for (int i = 0; i < n; i++) {
      assertEquals(("request " + i + " sent with its FIN before the stream opened\n").repeat(50),
          replies.get(i).get(60, TimeUnit.SECONDS), "connection " + i + ": the echo of everything it sent, then EOF");
    }
    MuxLoopbackTest.waitFor(() -> closed.get() == n, "every application connection closed on the node: " + closed);
  }

  /**
   * The connection-rate pattern (connect, one byte each way, close at once): every application
   * connection must close on the node too, not linger half-closed (CLOSE_WAIT) holding its socket
   * and stream: a relay on the socket's Netty channel, tried and reverted, leaked all but a few
   * under bench/conn_rate.py.
   */
  @Test
  void shortConnectionsThatCloseRightAfterTheirAnswerAllCloseOnTheNode() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = netServer("echo", relay);
    int n = 200;
    for (int i = 0; i < n; i++) {
      try (Socket s = new Socket()) {
        s.connect(app, 10_000);
        s.setSoTimeout(30_000);
        s.setTcpNoDelay(true);
        s.getOutputStream().write('x');
        assertEquals('x', s.getInputStream().read(), "connection " + i);
      }
    }
    MuxLoopbackTest.waitFor(() -> closed.get() == n, "every application connection closed on the node: " + closed);
  }

  @Test
  void aRefusedStreamResetsTheApplicationAndNamesTheReason() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of());
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = netServer("nosuch", relay);
    try (Socket s = new Socket()) {
      s.connect(app, 10_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write('x');
      try {
        assertEquals(-1, s.getInputStream().read());
      } catch (java.net.SocketException reset) {
        // what the application sees: a reset
      }
    }
    MuxLoopbackTest.waitFor(() -> relay.get() != null && relay.get().isComplete(), "relay ends");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> relay.get().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertEquals(RefusalReason.UNKNOWN_SERVICE, assertInstanceOf(StreamRefusedException.class, e.getCause()).reason());
    MuxLoopbackTest.waitFor(() -> closed.get() == 1, "the reset socket closed on the node");
  }
}
