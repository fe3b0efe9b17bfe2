package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The multiplexer end to end over loopback sockets: pool -> peer connection -> local service. */
class MuxLoopbackTest {
  private MuxPair pair;

  @BeforeAll
  static void paranoid() {
    LeakWatch.paranoid();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (pair != null) {
      pair.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private MuxPair start(MuxSettings settings, StreamPolicy policy, Map<String, SocketAddress> services)
      throws InterruptedException {
    pair = new MuxPair(settings);
    return pair.start(policy, services.isEmpty() ? Map.of() : services);
  }

  /** An application-side listener that carries each accepted connection over a stream (AppStreams). */
  private InetSocketAddress appListener(String service, AtomicReference<Future<Void>> lastRelay)
      throws InterruptedException {
    Channel server = new ServerBootstrap().group(pair.group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            lastRelay.set(AppStreams.relay(pair.pool, pair.endpoint, service, ch));
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    return (InetSocketAddress) server.localAddress();
  }

  private static byte[] readAll(InputStream in) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  @Test
  void anApplicationConnectionReachesTheEchoServiceAndHalfCloseKeepsTheReply() throws Exception {
    LoopbackServices.Service echo;
    pair = new MuxPair(MuxSettings.defaults());
    echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = appListener("echo", relay);

    try (Socket s = new Socket()) {
      s.connect(app, 10_000);
      s.setSoTimeout(30_000);
      byte[] request = "hello through the mux\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
      s.getOutputStream().write(request);
      s.shutdownOutput(); // half-close: we are done sending, still reading
      byte[] reply = readAll(s.getInputStream()); // until the echo's FIN arrives as END_STREAM -> FIN
      assertEquals(new String(request, StandardCharsets.UTF_8), new String(reply, StandardCharsets.UTF_8));
    }
    relay.get().get(30, TimeUnit.SECONDS); // a clean end both ways: no reset
    assertEquals(1, echo.accepted().get());
    assertEquals(1, pair.serverMetrics.peer(MuxPair.CLIENT_NODE).opened(Role.SERVER));
  }

  @Test
  void bytesSentRightBehindTheHeadersArriveInOrderWithoutWaitingForTheAnswer() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    MuxStream warm = pair.open("echo"); // the connection exists: no connect below
    warm.accepted().get(30, TimeUnit.SECONDS);
    warm.channel().close();
    for (int round = 0; round < 20; round++) {
      MuxStream s = pair.open("echo");
      StreamProbe p = StreamProbe.attach(s, true, true);
      // No wait for the 200: the first bytes follow the HEADERS at once (zero round trips).
      p.send("a");
      p.send("b");
      p.send("c".getBytes(StandardCharsets.UTF_8), true);
      p.ended.get(30, TimeUnit.SECONDS);
      assertTrue(s.accepted().isSuccess());
      assertEquals("abc", p.text());
    }
  }

  @Test
  void aThousandConcurrentStreamsShareOneConnection() throws Exception {
    pair = new MuxPair(MuxSettings.defaults().withPool(1, Duration.ofMinutes(5), Duration.ofSeconds(30)));
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    int n = 1000;
    List<Future<MuxStream>> opening = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      opening.add(pair.pool.open(pair.endpoint, "echo"));
    }
    List<StreamProbe> probes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      MuxStream s = opening.get(i).get(60, TimeUnit.SECONDS);
      StreamProbe p = StreamProbe.attach(s, true, true);
      p.send("stream " + i + ";");
      probes.add(p);
    }
    for (int i = 0; i < n; i++) {
      opening.get(i).getNow().accepted().get(60, TimeUnit.SECONDS);
    }
    // Every stream answered while all of them are open at once.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (int i = 0; i < n; i++) {
      String expected = "stream " + i + ";";
      while (!probes.get(i).text().equals(expected) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(expected, probes.get(i).text());
    }
    assertEquals(1, pair.pool.connections(pair.endpoint).size());
    assertEquals(1, pair.listener.connections().size());
    PeerConnection server = pair.listener.connections().iterator().next();
    assertEquals(n, (int) server.channel().eventLoop().submit(server::activeHttp2Streams).get());
    assertEquals(n, echo.accepted().get());
    for (StreamProbe p : probes) {
      p.end();
    }
    for (StreamProbe p : probes) {
      p.ended.get(60, TimeUnit.SECONDS);
    }
    waitFor(() -> pair.pool.connections(pair.endpoint).get(0).streams() == 0, "streams released");
  }

  @Test
  void aSlowReaderStallsOnlyItsOwnStreamAndBuffersAtMostItsWindow() throws Exception {
    int window = 64 * 1024;
    pair = new MuxPair(MuxSettings.defaults().withStreamWindow(window, 8 * window));
    LoopbackServices.Service firehose = pair.services.firehose();
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("firehose", firehose.address(), "echo", echo.address()));

    MuxStream slow = pair.open("firehose");
    StreamProbe slowProbe = StreamProbe.attach(slow, false, false); // never reads
    slow.accepted().get(30, TimeUnit.SECONDS);
    // Let the firehose run into the back-pressure: its written total stops growing.
    waitFor(() -> {
      long before = firehose.bytes().get();
      Thread.sleep(300);
      return before > 0 && firehose.bytes().get() == before;
    }, "firehose stalled");

    MuxStream fast = pair.open("echo");
    StreamProbe fastProbe = StreamProbe.attach(fast, true, true);
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      String msg = "ping " + i + ";";
      expected.append(msg);
      fastProbe.send(msg);
      String want = expected.toString();
      waitFor(() -> fastProbe.text().equals(want), "echo round trip " + i + " while the other stream is stalled");
    }

    PeerConnection client = pair.pool.connections(pair.endpoint).get(0);
    int slowId = slow.channel().stream().id();
    int unconsumed = client.channel().eventLoop().submit(() -> {
      Http2Stream st = client.codec().connection().stream(slowId);
      return client.codec().connection().local().flowController().unconsumedBytes(st);
    }).get();
    assertTrue(unconsumed > 0, "the slow stream has data waiting");
    assertTrue(unconsumed <= window, "buffered for the slow stream: " + unconsumed + " <= window " + window);
    assertEquals(0, slowProbe.received.get(), "the slow reader read nothing");

    // The slow reader starts reading: its stream moves again.
    long stalledAt = firehose.bytes().get();
    slowProbe.startReading();
    waitFor(() -> slowProbe.received.get() > 4L * window && firehose.bytes().get() > stalledAt,
        "the slow stream resumes");
    slow.channel().close(); // RST CANCEL: the relay closes the firehose's connection
    fastProbe.end();
    fastProbe.ended.get(30, TimeUnit.SECONDS);
  }

  @Test
  void oneBulkStreamDoesNotStarveASmallOne() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service discard = pair.services.discard();
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("discard", discard.address(), "echo", echo.address()));

    // The bulk stream writes whenever it may, for as long as the test runs: it never runs dry,
    // so if the scheduler served it first the small stream would never get a turn.
    MuxStream bulk = pair.open("discard");
    bulk.accepted().get(30, TimeUnit.SECONDS);
    byte[] chunk = new byte[16 * 1024];
    BulkWriter writer = new BulkWriter(bulk.channel(), chunk);
    bulk.channel().eventLoop().execute(writer::start);
    waitFor(() -> discard.bytes().get() > 4L * 1024 * 1024, "bulk under way");

    MuxStream small = pair.open("echo");
    StreamProbe probe = StreamProbe.attach(small, true, true);
    StringBuilder expected = new StringBuilder();
    List<Long> bulkBytesPerRoundTrip = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long bulkBefore = discard.bytes().get();
      String msg = "small " + i + ";";
      expected.append(msg);
      probe.send(msg);
      String want = expected.toString();
      waitFor(() -> probe.text().equals(want), "small round trip " + i + " beside the bulk stream");
      bulkBytesPerRoundTrip.add(discard.bytes().get() - bulkBefore);
    }
    long bulkAtEnd = discard.bytes().get();
    assertTrue(writer.running(), "the bulk stream was still sending throughout");
    waitFor(() -> discard.bytes().get() > bulkAtEnd, "the bulk stream keeps progressing too");
    System.out.println("bulk bytes delivered during each small round trip: " + bulkBytesPerRoundTrip);
    writer.stop();
    bulk.channel().close();
    probe.end();
    probe.ended.get(30, TimeUnit.SECONDS);
  }

  /** Writes a chunk whenever the stream is writable, until stopped (on the stream's event loop). */
  private static final class BulkWriter {
    private final Channel stream;
    private final byte[] chunk;
    private volatile boolean stopped;

    BulkWriter(Channel stream, byte[] chunk) {
      this.stream = stream;
      this.chunk = chunk;
    }

    void start() {
      stream.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
        @Override
        public void channelWritabilityChanged(io.netty.channel.ChannelHandlerContext ctx) {
          pump();
        }
      });
      pump();
    }

    private void pump() {
      while (!stopped && stream.isActive() && stream.isWritable()) {
        stream.write(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
            io.netty.buffer.Unpooled.wrappedBuffer(chunk)));
      }
      stream.flush();
    }

    boolean running() {
      return !stopped && stream.isActive();
    }

    void stop() {
      stopped = true;
    }
  }

  @Test
  void aLocalServiceResetReachesTheCallerAsConnectError() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service resetter = pair.services.resetter();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("resetter", resetter.address()));
    MuxStream s = pair.open("resetter");
    StreamProbe probe = StreamProbe.attach(s, false, true);
    s.accepted().get(30, TimeUnit.SECONDS);
    probe.send("provoke");
    assertEquals(Http2Error.CONNECT_ERROR, probe.reset.get(30, TimeUnit.SECONDS));
  }

  @Test
  void refusedOpensNameTheirReason() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    int closedPort;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = ss.getLocalPort();
    }
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("gone", new InetSocketAddress("127.0.0.1", closedPort)));

    StreamRefusedException unknown = refusal(pair.open("nosuch"));
    assertEquals(RefusalReason.UNKNOWN_SERVICE, unknown.reason());
    assertEquals(404, unknown.status());

    StreamRefusedException down = refusal(pair.open("gone"));
    assertEquals(RefusalReason.SERVICE_REFUSED, down.reason());
    assertEquals(502, down.status());

    pair.acceptor.shutDown();
    StreamRefusedException busy = refusal(pair.open("gone"));
    assertEquals(RefusalReason.OVERLOADED, busy.reason());
    assertEquals(503, busy.status());

    assertEquals(1.0, pair.serverMetrics.refusedCount(RefusalReason.UNKNOWN_SERVICE, Role.SERVER));
    assertEquals(1.0, pair.clientMetrics.refusedCount(RefusalReason.SERVICE_REFUSED, Role.CLIENT));
  }

  @Test
  void aPolicyRefusalIsCountedAndTheServiceIsNeverDialled() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    StreamPolicy policy = FileStreamPolicy.parse(List.of("allow echo node-c"), "test");
    pair.start(policy, Map.of("echo", echo.address()));
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = appListener("echo", relay);

    try (Socket s = new Socket()) {
      s.connect(app, 10_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write("let me in".getBytes(StandardCharsets.UTF_8));
      // What the application sees: its connection is reset (or simply ends) with no reply.
      try {
        assertEquals(0, readAll(s.getInputStream()).length);
      } catch (java.net.SocketException reset) {
        // a reset is the expected way for it to end
      }
    }
    ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> relay.get().get(30, TimeUnit.SECONDS));
    StreamRefusedException refused = assertInstanceOf(StreamRefusedException.class, failure.getCause());
    assertEquals(RefusalReason.POLICY, refused.reason());
    assertEquals(403, refused.status());
    assertEquals(1.0, pair.serverMetrics.refusedCount(RefusalReason.POLICY, Role.SERVER));
    assertEquals(0, echo.accepted().get(), "the service was never dialled");
  }

  @Test
  void thePoolReusesOneConnectionAndReopensAfterTheServerClosesIt() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));

    // Concurrent first uses share one connect.
    List<Future<MuxStream>> first = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      first.add(pair.pool.open(pair.endpoint, "echo"));
    }
    for (Future<MuxStream> f : first) {
      MuxStream s = f.get(30, TimeUnit.SECONDS);
      s.accepted().get(30, TimeUnit.SECONDS);
      s.channel().close();
    }
    for (int i = 0; i < 50; i++) {
      MuxStream s = pair.open("echo");
      StreamProbe p = StreamProbe.attach(s, true, true);
      p.send(new byte[] {'x'}, true);
      p.ended.get(30, TimeUnit.SECONDS);
      assertEquals("x", p.text());
    }
    assertEquals(1, pair.pool.connections(pair.endpoint).size());
    assertEquals(1L, pair.serverMetrics.peer(MuxPair.CLIENT_NODE).connections());
    assertEquals(1L, pair.clientMetrics.poolConnections());
    PeerConnection before = pair.pool.connections(pair.endpoint).get(0);

    // The server drops the connection: the pool notices and the next open dials a new one.
    for (PeerConnection c : pair.listener.connections()) {
      c.channel().close();
    }
    waitFor(() -> pair.pool.connections(pair.endpoint).isEmpty(), "the pool drops the closed connection");
    MuxStream again = pair.open("echo");
    StreamProbe p = StreamProbe.attach(again, true, true);
    p.send(new byte[] {'y'}, true);
    p.ended.get(30, TimeUnit.SECONDS);
    assertEquals("y", p.text());
    assertEquals(1, pair.pool.connections(pair.endpoint).size());
    assertNotSame(before, pair.pool.connections(pair.endpoint).get(0));
  }

  @Test
  void streamsSpillToASecondConnectionAtThePeersLimitAndThenFailAsSaturated() throws Exception {
    // Both nodes advertise 5 concurrent streams; the pool may hold 2 connections to the peer.
    pair = new MuxPair(MuxSettings.defaults().withMaxConcurrentStreams(5)
        .withPool(2, Duration.ofMinutes(5), Duration.ofSeconds(30)));
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    MuxStream first = pair.open("echo");
    first.accepted().get(30, TimeUnit.SECONDS);
    PeerConnection c1 = pair.pool.connections(pair.endpoint).get(0);
    waitFor(() -> c1.maxStreams() == 5, "the peer's SETTINGS arrived");
    List<MuxStream> open = new ArrayList<>(List.of(first));
    for (int i = 1; i < 10; i++) {
      MuxStream s = pair.open("echo");
      s.accepted().get(30, TimeUnit.SECONDS);
      open.add(s);
    }
    List<PeerConnection> conns = pair.pool.connections(pair.endpoint);
    assertEquals(2, conns.size());
    assertEquals(5, conns.get(0).streams());
    assertEquals(5, conns.get(1).streams());
    ExecutionException full = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> pair.pool.open(pair.endpoint, "echo").get(30, TimeUnit.SECONDS));
    assertEquals(PeerUnavailableException.Reason.SATURATED,
        assertInstanceOf(PeerUnavailableException.class, full.getCause()).reason());
    // One stream ends: its slot is free again, on the least loaded connection.
    open.get(0).channel().close();
    waitFor(() -> c1.streams() == 4, "slot released");
    MuxStream more = pair.open("echo");
    more.accepted().get(30, TimeUnit.SECONDS);
    assertEquals(5, c1.streams());
    open.add(more);
    for (MuxStream s : open) {
      s.channel().close();
    }
  }

  @Test
  void anIdleConnectionIsClosedAndPingsKeepAnActiveOneOpen() throws Exception {
    pair = new MuxPair(MuxSettings.defaults().withPool(2, Duration.ofMillis(600), Duration.ofMillis(100)));
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    MuxStream s = pair.open("echo");
    StreamProbe p = StreamProbe.attach(s, true, true);
    // With a stream open the connection outlives several idle timeouts (PINGs answered all along).
    Thread.sleep(2_000);
    assertEquals(1, pair.pool.connections(pair.endpoint).size());
    p.send(new byte[] {'z'}, true);
    p.ended.get(30, TimeUnit.SECONDS);
    // Without streams it is closed (GOAWAY) after the idle timeout.
    waitFor(() -> pair.pool.connections(pair.endpoint).isEmpty(), "idle connection closed");
    waitFor(() -> pair.listener.connections().isEmpty(), "the server saw it close");
    assertEquals(0L, pair.clientMetrics.poolConnections());
  }

  @Test
  void aPeerThatStopsAnsweringPingsIsDroppedAndTheNextOpenDialsAgain() throws Exception {
    // PINGs every second: at 200 ms a loaded CI machine once let one go unanswered for a whole
    // interval, and the live connection was (rightly, by its rule) dropped before the black hole.
    pair = new MuxPair(MuxSettings.defaults().withPool(2, Duration.ofMinutes(5), Duration.ofSeconds(1)));
    LoopbackServices.Service echo = pair.services.echo();
    java.util.concurrent.atomic.AtomicBoolean blackHole = new java.util.concurrent.atomic.AtomicBoolean();
    // The server's socket stays open but nothing it receives is read: a dead path, no FIN, no RST.
    pair.serverLayerWrapper = layer -> (ch, role, expected) -> {
      ch.pipeline().addLast("black-hole", new io.netty.channel.ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
          if (blackHole.get()) {
            io.netty.util.ReferenceCountUtil.release(msg);
          } else {
            ctx.fireChannelRead(msg);
          }
        }
      });
      layer.install(ch, role, expected);
    };
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    MuxStream first = pair.open("echo");
    first.accepted().get(30, TimeUnit.SECONDS);
    first.channel().close();
    PeerConnection dead = pair.pool.connections(pair.endpoint).get(0);
    Thread.sleep(2_500); // two PINGs answered: the connection stays (a negative: only time shows it)
    assertTrue(dead.isActive());
    blackHole.set(true);
    waitFor(() -> !dead.isActive(), "the client closes the connection whose PINGs go unanswered");
    waitFor(() -> pair.pool.connections(pair.endpoint).isEmpty(), "the pool drops it");
    blackHole.set(false);
    MuxStream again = pair.open("echo");
    again.accepted().get(30, TimeUnit.SECONDS);
    assertNotSame(dead, pair.pool.connections(pair.endpoint).get(0));
    again.channel().close();
  }

  @Test
  void shutdownSendsGoAwayAndLetsOpenStreamsDrain() throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    LoopbackServices.Service echo = pair.services.echo();
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    MuxStream s = pair.open("echo");
    StreamProbe p = StreamProbe.attach(s, true, true);
    p.send("before;");
    waitFor(() -> p.text().equals("before;"), "first echo");

    Future<Void> closing = pair.listener.close();
    PeerConnection client = pair.pool.connections(pair.endpoint).get(0);
    waitFor(client::isDraining, "the client saw GOAWAY");
    assertFalse(closing.isDone(), "the server waits for the open stream");
    p.send("after;");
    p.end();
    p.ended.get(30, TimeUnit.SECONDS);
    assertEquals("before;after;", p.text());
    assertTrue(closing.await(30, TimeUnit.SECONDS) && closing.isSuccess());
  }

  @Test
  void aPeerThatNeverAuthenticatesFailsWithATypedTimeout() throws Exception {
    pair = new MuxPair(MuxSettings.defaults().withConnectTimeout(Duration.ofMillis(500)));
    pair.start(StreamPolicy.ALLOW_MEMBERS, Map.of());
    // A TCP listener that accepts and says nothing, like a peer whose handshake never completes.
    Channel mute = new ServerBootstrap().group(pair.group).channel(NioServerSocketChannel.class)
        .childHandler(new io.netty.channel.ChannelInboundHandlerAdapter())
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    PeerConnector silent = new PeerConnector(pair.transport, (ch, role, expected) -> { }, pair.settings,
        pair.clientMetrics, MuxPair.CLIENT_NODE);
    Future<PeerConnection> f = silent.connect((InetSocketAddress) mute.localAddress(), "node-x");
    assertTrue(f.await(30, TimeUnit.SECONDS));
    PeerUnavailableException e = assertInstanceOf(PeerUnavailableException.class, f.cause());
    assertEquals(PeerUnavailableException.Reason.TIMEOUT, e.reason());
    mute.close().sync();

    // A client that expects another node id than the one authenticated refuses the connection.
    Future<PeerConnection> wrong = pair.connector.connect(
        new InetSocketAddress("127.0.0.1", pair.listener.port()), "node-z");
    assertTrue(wrong.await(30, TimeUnit.SECONDS));
    assertEquals(PeerUnavailableException.Reason.HANDSHAKE_FAILED,
        assertInstanceOf(PeerUnavailableException.class, wrong.cause()).reason());
  }

  private static StreamRefusedException refusal(MuxStream s) throws Exception {
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> s.accepted().get(30, TimeUnit.SECONDS));
    return assertInstanceOf(StreamRefusedException.class, e.getCause());
  }

  @FunctionalInterface
  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitFor(Condition c, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
