package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stream-open checks on in-memory channels: two EmbeddedChannels, a client and a server
 * multiplexer, with the bytes each writes handed to the other. No socket, no dial (the service
 * directory counts lookups, and no test here reaches the dial).
 */
class StreamOpenEmbeddedTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MuxMetrics serverMetrics = new MuxMetrics(registry, "node-b");
  private final MuxMetrics clientMetrics = MuxMetrics.none();
  private final AtomicInteger lookups = new AtomicInteger();
  private EmbeddedChannel client;
  private EmbeddedChannel server;
  private StreamAcceptor acceptor;
  private PeerConnection connection;

  private void connect(StreamPolicy policy, String authenticatedCaller, String callerClaims) {
    ServiceDirectory services = name -> {
      lookups.incrementAndGet();
      return name.equals("echo") ? new InetSocketAddress("127.0.0.1", 9) : null;
    };
    MuxSettings settings = MuxSettings.defaults();
    acceptor = new StreamAcceptor(policy, services, NioSocketChannel::new, serverMetrics, settings);
    server = new EmbeddedChannel();
    Promise<PeerConnection> serverReady = server.eventLoop().newPromise();
    server.pipeline().addLast(new MuxInstaller(Role.SERVER, settings, "node-b", null, acceptor.streamInitializer(),
        serverMetrics, serverReady));
    client = new EmbeddedChannel();
    Promise<PeerConnection> clientReady = client.eventLoop().newPromise();
    client.pipeline().addLast(new MuxInstaller(Role.CLIENT, settings, callerClaims, "node-b",
        PeerConnector.RefuseInbound.INSTANCE, clientMetrics, clientReady));
    // What the record layer does after the handshake; the server's identity for the caller comes only from here.
    server.pipeline().fireUserEventTriggered(AuthenticatedPeer.of(authenticatedCaller));
    client.pipeline().fireUserEventTriggered(AuthenticatedPeer.of("node-b"));
    shuttle();
    assertTrue(serverReady.isSuccess() && clientReady.isSuccess());
    connection = clientReady.getNow();
  }

  /** Hands every byte each side wrote to the other until both are quiet. */
  private void shuttle() {
    boolean moved;
    do {
      moved = false;
      client.runPendingTasks();
      server.runPendingTasks();
      for (Object o; (o = client.readOutbound()) != null; ) {
        server.writeInbound(o);
        moved = true;
      }
      for (Object o; (o = server.readOutbound()) != null; ) {
        client.writeInbound(o);
        moved = true;
      }
    } while (moved);
  }

  private MuxStream open(String service) {
    Future<MuxStream> f = connection.openStream(service);
    shuttle();
    assertTrue(f.isSuccess(), () -> "open: " + f.cause());
    return f.getNow();
  }

  private StreamRefusedException refusal(MuxStream s) {
    shuttle();
    assertTrue(s.accepted().isDone());
    return assertInstanceOf(StreamRefusedException.class, s.accepted().cause());
  }

  @BeforeAll
  static void paranoid() {
    LeakWatch.paranoid();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (client != null) {
      client.finishAndReleaseAll();
    }
    if (server != null) {
      server.finishAndReleaseAll();
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anUnknownServiceGets404WithItsReason() {
    connect(StreamPolicy.ALLOW_MEMBERS, "node-a", "node-a");
    StreamRefusedException e = refusal(open("nosuch"));
    assertEquals(404, e.status());
    assertEquals(RefusalReason.UNKNOWN_SERVICE, e.reason());
    assertEquals(1.0, registry.get("sscmic.mux.streams.refused").tag("reason", "unknown_service")
        .tag("direction", "inbound").counter().count());
  }

  /** Both ends advertise 64 KiB DATA frames, and each sends within the other's setting. */
  @Test
  void eachSideSendsFramesUpToThePeersAdvertised64KiB() {
    connect(StreamPolicy.ALLOW_MEMBERS, "node-a", "node-a");
    for (EmbeddedChannel side : List.of(client, server)) {
      Http2FrameCodec codec = side.pipeline().get(Http2FrameCodec.class);
      assertEquals(65_536, codec.encoder().configuration().frameSizePolicy().maxFrameSize(),
          "what this side may send, from the peer's SETTINGS");
      assertEquals(65_536, (int) (long) codec.decoder().localSettings().maxFrameSize(),
          "what this side accepts");
    }
  }

  @Test
  void thePolicySeesTheAuthenticatedCallerNotTheCallerHeader() throws Exception {
    StreamPolicy onlyAdmin = FileStreamPolicy.parse(List.of("allow echo admin-1"), "test");
    // The caller claims to be admin-1 in its sscmic-caller header, but the handshake says node-a.
    connect(onlyAdmin, "node-a", "admin-1");
    StreamRefusedException e = refusal(open("echo"));
    assertEquals(403, e.status());
    assertEquals(RefusalReason.POLICY, e.reason());
    assertEquals(0, lookups.get(), "a refused open never looks up, let alone dials, the service");
    assertEquals(1.0, serverMetrics.refusedCount(RefusalReason.POLICY, Role.SERVER));
  }

  /**
   * Neither a CONNECT nor a request (a GET without {@code :path}): 400. A well-formed request is a
   * request stream since issue 16 (MuxRequestStreamTest).
   */
  @Test
  void aStreamThatIsNeitherAConnectNorARequestGets400() {
    connect(StreamPolicy.ALLOW_MEMBERS, "node-a", "node-a");
    Promise<Http2StreamChannel> opened = client.eventLoop().newPromise();
    new Http2StreamChannelBootstrap(client).option(ChannelOption.AUTO_READ, true)
        .handler(new io.netty.channel.ChannelInboundHandlerAdapter()).open(opened);
    shuttle();
    Http2StreamChannel raw = opened.getNow();
    DefaultHttp2Headers get = new DefaultHttp2Headers();
    get.method("GET").scheme("http").authority("echo");
    raw.writeAndFlush(new DefaultHttp2HeadersFrame(get, true));
    shuttle();
    assertEquals(1.0, serverMetrics.refusedCount(RefusalReason.MALFORMED, Role.SERVER));
    assertEquals(0, lookups.get());
  }

  @Test
  void aDrainingNodeAnswers503() {
    connect(StreamPolicy.ALLOW_MEMBERS, "node-a", "node-a");
    acceptor.shutDown();
    StreamRefusedException e = refusal(open("echo"));
    assertEquals(503, e.status());
    assertEquals(RefusalReason.OVERLOADED, e.reason());
  }

  @Test
  void serviceNamesAreCheckedBeforeAnythingIsSent() {
    assertFalse(ConnectHeaders.isServiceName("../etc"));
    assertFalse(ConnectHeaders.isServiceName("a b"));
    assertFalse(ConnectHeaders.isServiceName(""));
    assertTrue(ConnectHeaders.isServiceName("orders-v2.internal"));
    assertEquals("echo", ConnectHeaders.serviceOf(ConnectHeaders.request("echo", "node-a")));
  }

  @Test
  void bytesBeforeAuthenticationCloseTheConnection() {
    EmbeddedChannel ch = new EmbeddedChannel();
    Promise<PeerConnection> ready = ch.eventLoop().newPromise();
    ch.pipeline().addLast(new MuxInstaller(Role.SERVER, MuxSettings.defaults(), "node-b", null,
        PeerConnector.RefuseInbound.INSTANCE, MuxMetrics.none(), ready));
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'P', 'R', 'I'}));
    assertFalse(ch.isOpen());
    assertEquals(PeerUnavailableException.Reason.HANDSHAKE_FAILED,
        assertInstanceOf(PeerUnavailableException.class, ready.cause()).reason());
    ch.finishAndReleaseAll();
  }

  @Test
  void refusalReasonsRoundTripThroughTheirTokens() {
    for (RefusalReason r : RefusalReason.values()) {
      assertEquals(r, RefusalReason.fromResponse(r.status(), r.token()));
    }
    assertEquals(RefusalReason.SERVICE_REFUSED, RefusalReason.fromResponse(502, null));
    assertEquals(RefusalReason.OVERLOADED, RefusalReason.fromResponse(503, "from-a-later-version"));
  }
}
