package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.TestIdentities;
import io.sscmic.gateway.record.HandshakeCompleted;
import io.sscmic.gateway.record.KeySynRecordHandler;
import io.sscmic.gateway.record.RecordLayerClosed;
import io.sscmic.gateway.record.RecordLayerException;
import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.pki.NodeCertificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tunnel v2 stacked, end to end over real loopback sockets: an application TCP connection goes
 * through the calling node's {@link PeerPool}, the KeySyn record layer and handshake
 * ({@link RecordSecureLayer}), loopback, the receiving node's record layer, its
 * {@link PeerListener} and on to a local echo service. Two (or three) "nodes" live in one JVM,
 * each with its own mesh-CA certificate, key schedule and replay filter; Netty's leak detector runs
 * at PARANOID and a test fails on any leak it reports.
 */
class StackedTunnelTest {
  private static final TestIdentities MESH = new TestIdentities("stacked");
  private static final String SERVER = "bravo";
  private static final MuxSettings SETTINGS = MuxSettings.defaults().withConnectTimeout(Duration.ofSeconds(30));

  private EventLoopGroup group;
  private MuxTransport transport;
  private LoopbackServices services;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Channel> appListeners = new ArrayList<>();

  @BeforeAll
  static void paranoid() {
    LeakWatch.paranoid();
  }

  @BeforeEach
  void setUp() {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    transport = MuxTransport.nio(group);
    services = new LoopbackServices(group);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Channel c : appListeners) {
      c.close().sync();
    }
    for (Node n : nodes) {
      n.close();
    }
    services.close();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    LeakWatch.assertNoLeaks();
  }

  // ------------------------------------------------------------------ the tests

  @Test
  void anApplicationConnectionRoundTripsThroughBothRecordLayersAndHalfCloseKeepsTheReply() throws Exception {
    LoopbackServices.Service echo = services.echo();
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH)).listen(StreamPolicy.ALLOW_MEMBERS,
        Map.of("echo", echo.address()));
    Node alpha = node(MESH.node("alpha"), MESH.schedule(TestIdentities.EPOCH)).dialler();
    AtomicReference<Future<Void>> relay = new AtomicReference<>();
    InetSocketAddress app = appListener(alpha, alpha.to(bravo), "echo", relay);

    try (Socket s = new Socket()) {
      s.connect(app, 10_000);
      s.setSoTimeout(30_000);
      byte[] request = "hello through records and streams\n".repeat(2000).getBytes(StandardCharsets.UTF_8);
      s.getOutputStream().write(request);
      s.shutdownOutput(); // half-close: END_STREAM inside a DATA record, the reply still flows back
      byte[] reply = readAll(s.getInputStream());
      assertEquals(new String(request, StandardCharsets.UTF_8), new String(reply, StandardCharsets.UTF_8));
    }
    relay.get().get(30, TimeUnit.SECONDS); // a clean end both ways, no reset
    assertEquals(1, echo.accepted().get());

    // It really went through the record layer, and the server knows the caller from its certificate.
    PeerConnection client = alpha.pool.connections(alpha.to(bravo)).get(0);
    KeySynRecordHandler records = client.channel().pipeline().get(KeySynRecordHandler.class);
    assertNotNull(records, "the record layer sits below the multiplexer");
    assertTrue(records.isEstablished());
    assertEquals(SERVER, client.peerNodeId());
    PeerConnection server = bravo.listener.connections().iterator().next();
    assertEquals("alpha", server.peerNodeId());
    assertEquals(1, alpha.clientHandshakes.get());
    assertEquals(1, bravo.serverHandshakes.get());
    assertEquals(List.of(), bravo.failures(), "no connection ended for a reason");
  }

  @Test
  void twoHundredStreamsShareOnePeerConnectionAndOneHandshake() throws Exception {
    LoopbackServices.Service echo = services.echo();
    MuxSettings onePerPeer = SETTINGS.withPool(1, Duration.ofMinutes(5), Duration.ofSeconds(30));
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH), onePerPeer)
        .listen(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    Node alpha = node(MESH.node("alpha"), MESH.schedule(TestIdentities.EPOCH), onePerPeer).dialler();
    Endpoint peer = alpha.to(bravo);

    int n = 200;
    List<Future<MuxStream>> opening = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      opening.add(alpha.pool.open(peer, "echo")); // all at once: one dial, the rest wait for it
    }
    List<StreamProbe> probes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StreamProbe p = StreamProbe.attach(opening.get(i).get(60, TimeUnit.SECONDS), true, true);
      p.send(("stream " + i + ";").getBytes(StandardCharsets.UTF_8), true);
      probes.add(p);
    }
    for (int i = 0; i < n; i++) {
      probes.get(i).ended.get(60, TimeUnit.SECONDS);
      assertEquals("stream " + i + ";", probes.get(i).text());
      assertTrue(opening.get(i).getNow().accepted().isSuccess());
    }
    assertEquals(1, alpha.clientHandshakes.get(), "one handshake on the calling node");
    assertEquals(1, bravo.serverHandshakes.get(), "one handshake on the receiving node");
    assertEquals(1, alpha.pool.connections(peer).size());
    assertEquals(1, bravo.listener.connections().size());
    assertEquals(n, echo.accepted().get());
    assertEquals(n, (long) bravo.metrics.peer("alpha").opened(Role.SERVER));
  }

  @Test
  void keysRotateEvery500MillisecondsUnderOpenStreamsWithoutAFailedStream() throws Exception {
    LoopbackServices.Service echo = services.echo();
    // A real epoch clock, as the KeySyn verticle runs it, with a short interval: every record is
    // sealed under the epoch in force when it is written, so these streams cross many epochs. 500 ms,
    // not less: a record read more than one epoch late is refused by design, and a loaded 2-core
    // test machine stalled a JVM thread for over 400 ms (the test failed so at 200 ms).
    EpochClock clock = new EpochClock(Instant.now().minusSeconds(10), Duration.ofMillis(500));
    Node bravo = node(MESH.node(SERVER), clockSchedule(clock)).listen(StreamPolicy.ALLOW_MEMBERS,
        Map.of("echo", echo.address()));
    Node alpha = node(MESH.node("alpha"), clockSchedule(clock)).dialler();
    Endpoint peer = alpha.to(bravo);
    // Each node's KeySyn verticle moves its schedule at every epoch boundary; a schedule that is
    // only read keeps no key of the epochs it jumps over (KeySchedule.retain), so a record or INIT
    // sealed in such an epoch and read late would be refused. Tick both, as the verticles do.
    java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor(r -> new Thread(r, "keysyn-ticks"));
    ticker.scheduleAtFixedRate(() -> {
      alpha.schedule.advanceTo(clock.currentEpoch());
      bravo.schedule.advanceTo(clock.currentEpoch());
    }, 0, 20, TimeUnit.MILLISECONDS);
    try {
      rotateUnderOpenStreams(clock, alpha, bravo, peer);
    } finally {
      ticker.shutdownNow();
    }
  }

  private void rotateUnderOpenStreams(EpochClock clock, Node alpha, Node bravo, Endpoint peer) throws Exception {
    int streams = 20;
    List<StreamProbe> probes = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      MuxStream s;
      try {
        s = alpha.pool.open(peer, "echo").get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("open failed; clock epoch " + clock.currentEpoch() + ", alpha at "
            + alpha.schedule.current().epoch() + ", bravo at " + bravo.schedule.current().epoch()
            + ", bravo's refusals " + bravo.failures(), e);
      }
      probes.add(StreamProbe.attach(s, true, true));
    }
    long firstEpoch = alpha.schedule.current().epoch();
    StringBuilder[] expected = new StringBuilder[streams];
    for (int i = 0; i < streams; i++) {
      expected[i] = new StringBuilder();
    }
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(clock.interval().toMillis() * 13 / 2);
    int round = 0;
    while (System.nanoTime() < until) {
      for (int i = 0; i < streams; i++) {
        String msg = "r" + round + "s" + i + ";";
        expected[i].append(msg);
        probes.get(i).send(msg);
      }
      for (int i = 0; i < streams; i++) {
        String want = expected[i].toString();
        StreamProbe p = probes.get(i);
        MuxLoopbackTest.waitFor(() -> p.text().equals(want), "echo of round on stream " + i);
      }
      round++;
      Thread.sleep(20);
    }
    long lastEpoch = alpha.schedule.current().epoch();
    for (StreamProbe p : probes) {
      p.end();
    }
    for (int i = 0; i < streams; i++) {
      probes.get(i).ended.get(60, TimeUnit.SECONDS); // END_STREAM, not a reset or a close
      assertEquals(expected[i].toString(), probes.get(i).text());
    }
    assertTrue(lastEpoch - firstEpoch >= 5, "the keys moved on: epochs " + firstEpoch + ".." + lastEpoch);
    assertTrue(round >= 5, "rounds: " + round);
    assertEquals(1, alpha.clientHandshakes.get(), "rotation needs no new handshake");
    assertEquals(List.of(), alpha.failures());
    assertEquals(List.of(), bravo.failures());
    assertEquals(1, alpha.pool.connections(peer).size());
  }

  @Test
  void thePolicyJudgesTheAuthenticatedNodeIdNotTheCallerHeader(@TempDir Path dir) throws Exception {
    LoopbackServices.Service echo = services.echo();
    Path policyFile = dir.resolve("streams.policy");
    Files.writeString(policyFile, "# only alpha may reach echo\nallow echo alpha\n");
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH))
        .listen(FileStreamPolicy.load(policyFile), Map.of("echo", echo.address()));
    // mallory holds a valid certificate of this mesh, and its connector even writes "alpha" into
    // the caller header of every stream it opens: the header is for logs, the policy never reads it.
    Node mallory = node(MESH.node("mallory"), MESH.schedule(TestIdentities.EPOCH)).dialler("alpha");
    Node alpha = node(MESH.node("alpha"), MESH.schedule(TestIdentities.EPOCH)).dialler();

    AtomicReference<Future<Void>> malloryRelay = new AtomicReference<>();
    InetSocketAddress malloryApp = appListener(mallory, mallory.to(bravo), "echo", malloryRelay);
    try (Socket s = new Socket()) {
      s.connect(malloryApp, 10_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write("let me in".getBytes(StandardCharsets.UTF_8));
      // What mallory's application sees: its connection ends (or is reset) with no reply.
      try {
        assertEquals(0, readAll(s.getInputStream()).length);
      } catch (java.net.SocketException reset) {
        // a reset is the expected way for it to end
      }
    }
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> malloryRelay.get().get(30, TimeUnit.SECONDS));
    StreamRefusedException refused = assertInstanceOf(StreamRefusedException.class, failure.getCause());
    assertEquals(RefusalReason.POLICY, refused.reason());
    assertEquals(403, refused.status());
    assertEquals(1.0, bravo.metrics.refusedCount(RefusalReason.POLICY, Role.SERVER));
    assertEquals(0, echo.accepted().get(), "the echo service was never dialled for mallory");
    assertEquals(1, bravo.serverHandshakes.get(), "mallory is a member: its handshake verified");

    MuxStream s = alpha.pool.open(alpha.to(bravo), "echo").get(30, TimeUnit.SECONDS);
    StreamProbe p = StreamProbe.attach(s, true, true);
    p.send("it is alpha".getBytes(StandardCharsets.UTF_8), true);
    p.ended.get(30, TimeUnit.SECONDS);
    s.accepted().get(30, TimeUnit.SECONDS);
    assertEquals("it is alpha", p.text());
    assertEquals(1, echo.accepted().get());
    assertEquals(1.0, bravo.metrics.refusedCount(RefusalReason.POLICY, Role.SERVER));
  }

  @Test
  void aClientWithASelfSignedCertificateFailsTheHandshakeWithATypedReason() throws Exception {
    LoopbackServices.Service echo = services.echo();
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH)).listen(StreamPolicy.ALLOW_MEMBERS,
        Map.of("echo", echo.address()));
    // Knows the mesh's chain key (so its INIT MAC passes) and claims to be alpha, but its
    // certificate is signed by itself, not by the mesh CA.
    Node imposter = node(selfSigned("alpha"), MESH.schedule(TestIdentities.EPOCH)).dialler();

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> imposter.pool.open(imposter.to(bravo), "echo").get(30, TimeUnit.SECONDS));
    PeerUnavailableException unavailable = assertInstanceOf(PeerUnavailableException.class, failure.getCause());
    assertEquals(PeerUnavailableException.Reason.HANDSHAKE_FAILED, unavailable.reason());
    RecordLayerException why = assertInstanceOf(RecordLayerException.class, unavailable.getCause(),
        "the caller learns why: " + unavailable.getMessage());
    assertEquals(AlertReason.BAD_CERTIFICATE, why.reason());
    assertTrue(unavailable.getMessage().contains("bad_certificate"), unavailable.getMessage());

    MuxLoopbackTest.waitFor(() -> !bravo.failures().isEmpty(), "the server reports its refusal");
    RecordLayerClosed refusal = bravo.failures().get(0);
    assertEquals(AlertReason.BAD_CERTIFICATE, refusal.reason());
    assertEquals(RecordLayerClosed.Origin.LOCAL, refusal.origin());
    assertTrue(refusal.duringHandshake());
    assertEquals(0, bravo.serverHandshakes.get());
    assertEquals(0, bravo.listener.connections().size(), "no multiplexer for an unverified caller");
    assertEquals(0, echo.accepted().get());
    assertEquals(0, imposter.pool.connections(imposter.to(bravo)).size());
  }

  @Test
  void anInitAddressedToAnotherNodeFailsAtTheReceiver() throws Exception {
    LoopbackServices.Service echo = services.echo();
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH)).listen(StreamPolicy.ALLOW_MEMBERS,
        Map.of("echo", echo.address()));
    Node alpha = node(MESH.node("alpha"), MESH.schedule(TestIdentities.EPOCH)).dialler();
    // bravo's address, but the INIT names charlie (a stale resolver entry, or a redirected dial).
    Endpoint misdirected = new Endpoint("127.0.0.1", bravo.listener.port(), "charlie");

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> alpha.pool.open(misdirected, "echo").get(30, TimeUnit.SECONDS));
    PeerUnavailableException unavailable = assertInstanceOf(PeerUnavailableException.class, failure.getCause());
    assertEquals(PeerUnavailableException.Reason.HANDSHAKE_FAILED, unavailable.reason());
    RecordLayerException why = assertInstanceOf(RecordLayerException.class, unavailable.getCause(),
        unavailable.getMessage());
    assertEquals(AlertReason.WRONG_DESTINATION, why.reason());

    MuxLoopbackTest.waitFor(() -> !bravo.failures().isEmpty(), "the server reports its refusal");
    assertEquals(AlertReason.WRONG_DESTINATION, bravo.failures().get(0).reason());
    assertEquals(0, alpha.clientHandshakes.get());
    assertEquals(0, bravo.serverHandshakes.get());
    assertEquals(0, echo.accepted().get());
  }

  /**
   * Not a timed assertion: prints the rate of stream opens (each a 1-byte echo round trip with a
   * half-close both ways) over the stacked pair after warm-up, next to fresh TCP connections to
   * the same echo service in the same run, and the heap per idle stream. Asserts only that every
   * stream and connection worked.
   */
  @Test
  void measureStreamOpenRateAgainstDirectTcpConnections() throws Exception {
    LoopbackServices.Service echo = services.echo();
    MuxSettings onePerPeer = SETTINGS.withPool(1, Duration.ofMinutes(5), Duration.ofSeconds(30));
    Node bravo = node(MESH.node(SERVER), MESH.schedule(TestIdentities.EPOCH), onePerPeer)
        .listen(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    Node alpha = node(MESH.node("alpha"), MESH.schedule(TestIdentities.EPOCH), onePerPeer).dialler();
    Endpoint peer = alpha.to(bravo);
    int batch = 32;

    // The multiplexer alone (declared identities, no record layer) in the same run, for the record layer's share.
    Node plainB = new Node("plain-b", new DeclaredIdentityLayer("plain-b", "plain-a"), onePerPeer)
        .listen(StreamPolicy.ALLOW_MEMBERS, Map.of("echo", echo.address()));
    nodes.add(0, plainB);
    Node plainA = new Node("plain-a", new DeclaredIdentityLayer("plain-b", "plain-a"), onePerPeer).dialler();
    nodes.add(0, plainA);
    Endpoint plainPeer = plainA.to(plainB);

    // Under the PARANOID leak detector (every buffer tracked, with a stack trace per touch): the
    // record layer allocates a buffer per record each way, so this penalises the stacked path most.
    streamRounds(alpha.pool, peer, 500, batch);
    streamRounds(plainA.pool, plainPeer, 500, batch);
    directRounds(echo.address(), 500, batch);
    double[] paranoid = rates(alpha.pool, peer, plainA.pool, plainPeer, echo.address(), 1, 500, batch);
    // The figures: leak detection off, as in production; warm-up (JIT, pools), then interleaved rounds.
    io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    double[] rate;
    try {
      streamRounds(alpha.pool, peer, 2_000, batch);
      streamRounds(plainA.pool, plainPeer, 2_000, batch);
      directRounds(echo.address(), 1_000, batch);
      rate = rates(alpha.pool, peer, plainA.pool, plainPeer, echo.address(), 3, 1_000, batch);
    } finally {
      LeakWatch.paranoid();
    }
    double stackedRate = rate[0];
    double plainRate = rate[1];
    double directRate = rate[2];

    // Heap per idle stream: open streams that stay open, both nodes and the echo connections in this JVM.
    int idle = 1_000;
    long dialledBefore = echo.accepted().get();
    long before = usedHeapAfterGc();
    List<StreamProbe> open = new ArrayList<>();
    for (int i = 0; i < idle; i++) {
      MuxStream s = alpha.pool.open(peer, "echo").get(60, TimeUnit.SECONDS);
      open.add(StreamProbe.attach(s, false, true));
      s.accepted().get(60, TimeUnit.SECONDS);
    }
    MuxLoopbackTest.waitFor(() -> echo.accepted().get() >= dialledBefore + idle, "idle streams dialled");
    long after = usedHeapAfterGc();
    double perStream = (after - before) / (double) idle;
    for (StreamProbe p : open) {
      p.end();
    }
    for (StreamProbe p : open) {
      p.ended.get(60, TimeUnit.SECONDS);
    }

    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    System.out.printf("STACKED-MEASURE streams/s (leak detection off): stacked (record layer + mux)=%.0f,"
            + " mux alone=%.0f, direct tcp=%.0f; stacked/direct=%.2f stacked/mux-alone=%.2f (%d in flight,"
            + " 3 x 1000 each); under PARANOID leak detection: %.0f / %.0f / %.0f; heap per idle stream (both"
            + " nodes + local service connection) %.0f bytes; loadavg %s; cores %d%n",
        stackedRate, plainRate, directRate, stackedRate / directRate, stackedRate / plainRate, batch,
        paranoid[0], paranoid[1], paranoid[2], perStream, load, Runtime.getRuntime().availableProcessors());
    assertEquals(1, alpha.clientHandshakes.get(), "all of it over one handshake");
    assertEquals(1, alpha.pool.connections(peer).size());
  }

  // ------------------------------------------------------------------ nodes and helpers

  /** One node: its handshake settings (identity, schedule, replay filter), the v2 layer, a pool and/or a listener. */
  private final class Node implements AutoCloseable {
    final String id;
    final KeySchedule schedule;
    final MuxSettings settings;
    final SecureLayer layer;
    final MuxMetrics metrics;
    final AtomicInteger clientHandshakes = new AtomicInteger();
    final AtomicInteger serverHandshakes = new AtomicInteger();
    final List<RecordLayerClosed> closes = new CopyOnWriteArrayList<>();
    PeerListener listener;
    PeerPool pool;

    /** A node over the insecure declared-identity layer: the multiplexer alone, for comparison. */
    Node(String id, SecureLayer plain, MuxSettings settings) {
      this.id = id;
      this.schedule = null;
      this.settings = settings;
      this.metrics = new MuxMetrics(new SimpleMeterRegistry(), id);
      this.layer = plain;
    }

    Node(LocalIdentity identity, KeySchedule schedule, MuxSettings settings) {
      this.id = identity.nodeId();
      this.schedule = schedule;
      this.settings = settings;
      this.metrics = new MuxMetrics(new SimpleMeterRegistry(), id);
      this.layer = new RecordSecureLayer(MESH.settings(identity, schedule),
          io.sscmic.gateway.cipher.CipherSuite.AES_256_GCM, new RecordSecureLayer.Observer() {
            @Override
            public void handshakeCompleted(Role role, HandshakeCompleted done) {
              (role == Role.CLIENT ? clientHandshakes : serverHandshakes).incrementAndGet();
            }

            @Override
            public void closed(Role role, RecordLayerClosed closed) {
              closes.add(closed);
            }
          });
    }

    Node listen(StreamPolicy policy, Map<String, SocketAddress> local) throws InterruptedException {
      StreamAcceptor acceptor = new StreamAcceptor(policy, ServiceDirectory.of(local), NioSocketChannel::new,
          metrics, settings);
      listener = PeerListener.bind(transport, new InetSocketAddress("127.0.0.1", 0), layer, settings, acceptor,
          metrics, id);
      return this;
    }

    Node dialler() {
      return dialler(id);
    }

    /** @param callerHeader what this node's streams write into the caller header (logs only) */
    Node dialler(String callerHeader) {
      pool = new PeerPool(new PeerConnector(transport, layer, settings, metrics, callerHeader));
      return this;
    }

    Endpoint to(Node server) {
      return new Endpoint("127.0.0.1", server.listener.port(), server.id);
    }

    /** Connections the record layer ended for a reason other than a normal close. */
    List<RecordLayerClosed> failures() {
      return closes.stream().filter(c -> c.reason() != AlertReason.CLOSING).toList();
    }

    @Override
    public void close() throws Exception {
      if (pool != null) {
        pool.close().await(30, TimeUnit.SECONDS);
      }
      if (listener != null) {
        listener.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  private Node node(LocalIdentity identity, KeySchedule schedule) {
    return node(identity, schedule, SETTINGS);
  }

  private Node node(LocalIdentity identity, KeySchedule schedule, MuxSettings settings) {
    Node n = new Node(identity, schedule, settings);
    nodes.add(0, n); // closed in reverse order: callers before the listeners they use
    return n;
  }

  private static KeySchedule clockSchedule(EpochClock clock) {
    KeySchedule s = new KeySchedule(clock);
    s.install(MESH.chain.stateAt(clock.currentEpoch()));
    return s;
  }

  /** A node certificate (CN and URI SAN as the mesh CA writes them) signed by its own key. */
  private static LocalIdentity selfSigned(String id) throws Exception {
    KeyPair kp = NodeCertificates.newKeyPair(TestIdentities.RANDOM);
    X500Name name = new X500Name("CN=" + id);
    Instant now = Instant.now();
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)),
        name, kp.getPublic())
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, NodeCertificates.NODE_URI_PREFIX + id)))
        .build(NodeCertificates.signer(kp.getPrivate())));
    return new LocalIdentity(id, cert, kp.getPrivate());
  }

  /** An application-side listener that carries each accepted connection over a stream of {@code node}'s pool. */
  private InetSocketAddress appListener(Node node, Endpoint peer, String service,
      AtomicReference<Future<Void>> lastRelay) throws InterruptedException {
    Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            lastRelay.set(AppStreams.relay(node.pool, peer, service, ch));
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    appListeners.add(server);
    return (InetSocketAddress) server.localAddress();
  }

  private static byte[] readAll(InputStream in) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  /** Streams per second: stacked, mux alone, direct TCP; {@code reps} interleaved rounds so all see the same load. */
  private double[] rates(PeerPool stacked, Endpoint stackedPeer, PeerPool plain, Endpoint plainPeer,
      InetSocketAddress echo, int reps, int each, int batch) throws Exception {
    long[] count = new long[3];
    long[] nanos = new long[3];
    for (int rep = 0; rep < reps; rep++) {
      long t0 = System.nanoTime();
      count[0] += streamRounds(stacked, stackedPeer, each, batch);
      long t1 = System.nanoTime();
      count[1] += streamRounds(plain, plainPeer, each, batch);
      long t2 = System.nanoTime();
      count[2] += directRounds(echo, each, batch);
      long t3 = System.nanoTime();
      nanos[0] += t1 - t0;
      nanos[1] += t2 - t1;
      nanos[2] += t3 - t2;
    }
    return new double[] {count[0] * 1e9 / nanos[0], count[1] * 1e9 / nanos[1], count[2] * 1e9 / nanos[2]};
  }

  /**
   * {@code total} streams, {@code batch} at a time, each a 1-byte echo with END_STREAM both ways;
   * nothing blocks between the open and the answer (the test thread only waits for the batch).
   */
  private static long streamRounds(PeerPool pool, Endpoint peer, int total, int batch) throws Exception {
    long done = 0;
    for (int sent = 0; sent < total; sent += batch) {
      List<CompletableFuture<Integer>> results = new ArrayList<>(batch);
      for (int i = 0; i < batch; i++) {
        CompletableFuture<Integer> r = new CompletableFuture<>();
        results.add(r);
        pool.open(peer, "echo").addListener((Future<MuxStream> f) -> {
          if (!f.isSuccess()) {
            r.completeExceptionally(f.cause());
            return;
          }
          Http2StreamChannel ch = f.getNow().channel();
          ch.eventLoop().execute(() -> {
            ch.pipeline().addLast(new OneByteStream(r));
            ch.read();
            ch.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[] {42}), true));
          });
        });
      }
      for (CompletableFuture<Integer> r : results) {
        assertEquals(1, r.get(60, TimeUnit.SECONDS));
        done++;
      }
    }
    return done;
  }

  /** Counts a stream's echoed bytes; reports them at the peer's END_STREAM. */
  private static final class OneByteStream extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Integer> result;
    private int received;

    OneByteStream(CompletableFuture<Integer> result) {
      this.result = result;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2DataFrame data) {
        received += data.content().readableBytes();
        boolean end = data.isEndStream();
        data.release();
        if (end) {
          result.complete(received);
        }
      } else {
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IllegalStateException("stream closed before END_STREAM"));
      ctx.fireChannelInactive();
    }
  }

  /** {@code total} fresh TCP connections to {@code echo}, {@code batch} at a time, each a 1-byte echo with half-close. */
  private long directRounds(InetSocketAddress echo, int total, int batch) throws Exception {
    Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new OneByteEcho());
          }
        });
    long done = 0;
    for (int sent = 0; sent < total; sent += batch) {
      List<CompletableFuture<Integer>> results = new ArrayList<>(batch);
      for (int i = 0; i < batch; i++) {
        CompletableFuture<Integer> r = new CompletableFuture<>();
        results.add(r);
        b.connect(echo).addListener(f -> {
          if (!f.isSuccess()) {
            r.completeExceptionally(f.cause());
            return;
          }
          Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
          ch.pipeline().get(OneByteEcho.class).result = r;
          ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42}))
              .addListener(w -> ((DuplexChannel) ch).shutdownOutput());
        });
      }
      for (CompletableFuture<Integer> r : results) {
        assertEquals(1, r.get(60, TimeUnit.SECONDS));
        done++;
      }
    }
    return done;
  }

  /** Counts the echoed bytes; reports them once the echo service's FIN has arrived. */
  private static final class OneByteEcho extends ChannelInboundHandlerAdapter {
    volatile CompletableFuture<Integer> result;
    private int received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      received += ((ByteBuf) msg).readableBytes();
      ((ByteBuf) msg).release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      CompletableFuture<Integer> r = result;
      if (r != null) {
        r.complete(received);
      }
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }
}
