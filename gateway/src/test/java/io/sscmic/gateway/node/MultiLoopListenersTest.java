package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.inbound.InboundListener;
import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.outbound.OutboundListener;
import io.sscmic.gateway.tunnel.TunnelListener;
import io.sscmic.gateway.tunnel.TunnelMetrics;
import io.sscmic.gateway.tunnel.TunnelOptions;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.InputStream;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 20 item 3: the tunnel listeners accept on several event loops (one server per loop on one
 * port). What the user would see go wrong: a listener on port 0 whose loops each bound a port of
 * their own (connections to the reported port reaching one loop only, the others' ports unknown),
 * and limits counted per loop, so that four loops let four times tunnel.max-connections in. Both
 * sides here are real listeners on loopback with a real echo service behind them.
 */
class MultiLoopListenersTest {
  /** Asked for; the test Vert.x has 2 x cores loops, so at least 2 of them are given. */
  private static final int LOOPS = 4;
  @RegisterExtension
  final TestVertx testVertx = new TestVertx();
  private Vertx vertx;
  private NetServer echo;
  private KeySchedule schedule;
  private TunnelMetrics serverMetrics;
  private final List<TunnelListener> listeners = new ArrayList<>();
  private final ExecutorService clients = Executors.newFixedThreadPool(16);

  @BeforeEach
  void setUp() throws Exception {
    vertx = testVertx.get();
    echo = Backends.echo(vertx);
    schedule = new KeySchedule();
    schedule.install(KeyState.at(0, TestMesh.SEED, 1_000));
    serverMetrics = new TunnelMetrics(new SimpleMeterRegistry(), "b");
  }

  @AfterEach
  void tearDown() throws Exception {
    clients.shutdownNow();
    for (TunnelListener l : listeners) {
      TestMesh.await(l.close(Duration.ZERO));
    }
  }

  private TunnelOptions options(String node) {
    return new TunnelOptions(node, CipherSuite.AES_256_GCM, AeadProvider.defaultProvider(), Duration.ofSeconds(5),
        Duration.ofSeconds(60), Duration.ofHours(1), LOOPS);
  }

  private InboundListener inbound(TunnelLimits limits) throws Exception {
    InboundListener in = new InboundListener(vertx, options("b"), schedule, Map.of("echo", Backends.address(echo)),
        serverMetrics, new SecureRandom(), limits);
    listeners.add(in);
    return in;
  }

  private OutboundListener outbound(int peerPort) {
    OutboundListener out = new OutboundListener(vertx, options("a"), schedule, "echo",
        SocketAddress.inetSocketAddress(peerPort, "127.0.0.1"), new TunnelMetrics(new SimpleMeterRegistry(), "a"),
        new SecureRandom());
    listeners.add(out);
    return out;
  }

  private static int port(io.vertx.core.Future<Integer> f) throws Exception {
    return TestMesh.await(f);
  }

  private static SocketAddress anyPort() {
    return SocketAddress.inetSocketAddress(0, "127.0.0.1");
  }

  private static long loopsUsed(TunnelListener l) {
    return l.acceptedPerLoop().stream().filter(n -> n > 0).count();
  }

  @Test
  void portZeroIsOnePortThatEveryLoopAcceptsOn() throws Exception {
    InboundListener in = inbound(TunnelLimits.DEFAULTS);
    int tunnelPort = port(in.listen(anyPort()));
    OutboundListener out = outbound(tunnelPort);
    int outPort = port(out.listen(anyPort()));
    assertTrue(in.eventLoops() >= 2 && out.eventLoops() >= 2,
        "several loops: " + in.eventLoops() + " inbound, " + out.eventLoops() + " outbound");

    int streams = 16;
    List<CompletableFuture<byte[]>> sent = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      byte[] payload = Clients.random(200_000, i);
      sent.add(CompletableFuture.supplyAsync(() -> {
        try {
          return Clients.exchange(outPort, payload);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, clients));
    }
    for (int i = 0; i < streams; i++) {
      assertArrayEquals(Clients.random(200_000, i), sent.get(i).get(60, TimeUnit.SECONDS), "stream " + i);
    }
    // Every connection reached the one port, and the connections were spread over the loops.
    assertEquals(streams, in.acceptedPerLoop().stream().mapToLong(Long::longValue).sum());
    assertEquals(streams, out.acceptedPerLoop().stream().mapToLong(Long::longValue).sum());
    assertEquals(in.eventLoops(), loopsUsed(in), "inbound spread " + in.acceptedPerLoop());
    assertEquals(out.eventLoops(), loopsUsed(out), "outbound spread " + out.acceptedPerLoop());
  }

  @Test
  void maxConnectionsHoldsForTheListenerAsAWholeAcrossLoops() throws Exception {
    int max = 3;
    int tried = 12;
    InboundListener in = inbound(new TunnelLimits(max, 5_000, Duration.ofHours(1), 1_000));
    OutboundListener out = outbound(port(in.listen(anyPort())));
    int outPort = port(out.listen(anyPort()));
    // Streams held open (the echo keeps them until the client half-closes), one after another, each
    // established or refused before the next: the handshake pool is never full, the established one is.
    List<Socket> held = new ArrayList<>();
    try {
      int echoed = 0;
      for (int i = 0; i < tried; i++) {
        Socket s = new Socket("127.0.0.1", outPort);
        s.setSoTimeout(30_000);
        held.add(s);
        // A refused stream may be reset before the byte is written: that write fails, as the read would.
        echoed += writes(s, i) && echoes(s) ? 1 : 0;
      }
      assertEquals(max, echoed, "streams that work: as many as tunnel.max-connections, not that many per loop");
      assertEquals(tried - max, serverMetrics.limitHits(TunnelMetrics.Limit.MAX_CONNECTIONS), 0.0,
          "refused as overloaded (tunnel.max-connections)");
      assertEquals(in.eventLoops(), loopsUsed(in), "the connections landed on every loop: " + in.acceptedPerLoop());
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition,
                              java.util.function.Supplier<String> what) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      Thread.sleep(20);
    }
  }

  /** True when the byte written comes back; false when the sidecar closed or reset the connection. */
  private static boolean writes(Socket s, int b) {
    try {
      s.getOutputStream().write(new byte[] {(byte) b});
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static boolean echoes(Socket s) {
    try {
      InputStream in = s.getInputStream();
      return in.read() >= 0;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void theHandshakePoolOfOneSourceHoldsAcrossLoops() throws Exception {
    int perSource = 5;
    int tried = 20;
    InboundListener in = inbound(new TunnelLimits(1_000, 5_000, Duration.ofHours(1), 1_000, perSource));
    int tunnelPort = port(in.listen(anyPort()));
    List<Socket> idle = new ArrayList<>();
    try {
      // Connections that never send a hello hold a handshake slot each (the handshake timeout is 60 s).
      for (int i = 0; i < tried; i++) {
        idle.add(new Socket("127.0.0.1", tunnelPort));
      }
      TestWait.until(() -> serverMetrics.limitHits(TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE) == tried - perSource,
          "the idle connections beyond " + perSource + " refused");
      Thread.sleep(200);
      assertEquals(tried - perSource, serverMetrics.limitHits(TunnelMetrics.Limit.MAX_HANDSHAKES_PER_SOURCE), 0.0,
          "no more refused later either: exactly " + perSource + " hold a slot");
      assertEquals(tried, in.acceptedPerLoop().stream().mapToLong(Long::longValue).sum());
      assertEquals(in.eventLoops(), loopsUsed(in), "spread " + in.acceptedPerLoop());
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  @Test
  void theHandshakeRateOfOneSourceIsOneBucketAcrossLoops() throws Exception {
    int perSecond = 1; // a burst of 2, then 1 a second
    int tried = 12;
    InboundListener in = inbound(new TunnelLimits(1_000, perSecond, Duration.ofHours(1), 1_000));
    int tunnelPort = port(in.listen(anyPort()));
    List<Socket> idle = new ArrayList<>();
    long started = System.nanoTime();
    try {
      for (int i = 0; i < tried; i++) {
        idle.add(new Socket("127.0.0.1", tunnelPort));
      }
      TestWait.until(() -> in.acceptedPerLoop().stream().mapToLong(Long::longValue).sum() == tried,
          "every connection accepted");
      double seconds = (System.nanoTime() - started) / 1e9;
      double refused = serverMetrics.limitHits(TunnelMetrics.Limit.HANDSHAKE_RATE);
      // One bucket: at most its burst plus what it refilled while the connections came in. Per-loop
      // buckets would have let each loop's burst through.
      double allowedAtMost = 2 * perSecond + Math.ceil(seconds * perSecond);
      assertTrue(tried - refused <= allowedAtMost, (tried - refused) + " handshakes let through in " + seconds
          + " s; at most " + allowedAtMost);
      assertEquals(in.eventLoops(), loopsUsed(in), "spread " + in.acceptedPerLoop());
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }
}
