package io.sscmic.gateway.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.ReplayFilter;
import io.sscmic.gateway.handshake.TestIdentities;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The record layer over real loopback sockets (plain Netty bootstrap, port 0): a client sends
 * 1 MiB through it to an echo server above the responder and gets the same bytes back; a client
 * with a foreign certificate is refused and reads the server's reason (the ALERT survives the
 * close: half-close and linger).
 */
class RecordLayerLoopbackTest {
  static {
    LeakWatch.install();
  }

  private static final TestIdentities MESH = new TestIdentities("loopback");
  private static final LocalIdentity ALPHA = MESH.node("alpha");
  private static final LocalIdentity BETA = MESH.node("beta");
  private static final long N = TestIdentities.EPOCH;
  private static final int SIZE = 1 << 20;
  private static EventLoopGroup group;
  private static Channel listener;
  private static final CompletableFuture<RecordLayerClosed> serverClosed = new CompletableFuture<>();

  @BeforeAll
  static void listen() throws Exception {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    HandshakeSettings server = MESH.settings(BETA, MESH.schedule(N)).withReplayFilter(new ReplayFilter(N - 5, 0, 1000));
    listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(KeySynRecordHandler.responder(server), new Echo());
          }
        }).bind("127.0.0.1", 0).sync().channel();
  }

  @AfterAll
  static void close() throws Exception {
    listener.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    List<String> leaks = LeakWatch.leaks();
    assertTrue(leaks.isEmpty(), "Netty reported leaked buffers:\n" + String.join("\n", leaks));
  }

  /** Echoes plaintext back once the handshake verified; reports how the record layer closed. */
  static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof RecordLayerClosed closed) {
        serverClosed.complete(closed);
      }
    }
  }

  /** The client application: collects the echo, and the events. */
  static final class Collector extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final CompletableFuture<byte[]> all = new CompletableFuture<>();
    final CompletableFuture<HandshakeCompleted> completed = new CompletableFuture<>();
    final CompletableFuture<RecordLayerClosed> closed = new CompletableFuture<>();
    private final int expect;

    Collector(int expect) {
      this.expect = expect;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      try {
        b.readBytes(received, b.readableBytes());
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      } finally {
        b.release();
      }
      if (received.size() >= expect) {
        all.complete(received.toByteArray());
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof HandshakeCompleted c) {
        completed.complete(c);
      } else if (evt instanceof RecordLayerClosed c) {
        closed.complete(c);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closed.completeExceptionally(new IllegalStateException("closed without a reason"));
    }
  }

  private static Channel connect(HandshakeSettings settings, CipherSuite suite, Collector app) throws Exception {
    int port = ((InetSocketAddress) listener.localAddress()).getPort();
    return new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(KeySynRecordHandler.initiator(settings, "beta", suite), app);
          }
        }).connect("127.0.0.1", port).sync().channel();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aMebibyteMakesTheRoundTripThroughBothRecordLayers(CipherSuite suite) throws Exception {
    byte[] payload = new byte[SIZE];
    TestIdentities.RANDOM.nextBytes(payload);
    Collector app = new Collector(SIZE);
    Channel ch = connect(MESH.settings(ALPHA, MESH.schedule(N)), suite, app);
    for (int off = 0; off < SIZE; off += 65536) {
      ch.write(Unpooled.wrappedBuffer(payload, off, 65536));
    }
    ch.flush();
    HandshakeCompleted done = app.completed.get(30, TimeUnit.SECONDS);
    assertEquals("beta", done.peerNodeId());
    assertEquals(suite, done.suite());
    assertArrayEquals(payload, app.all.get(60, TimeUnit.SECONDS));
    ch.close().sync();
  }

  @Test
  void aClientWithAForeignCertificateReadsTheServersReasonOverTheSocket() throws Exception {
    TestIdentities foreign = new TestIdentities("foreign");
    Collector app = new Collector(1);
    Channel ch = connect(MESH.settings(foreign.node("alpha"), MESH.schedule(N)), CipherSuite.AES_256_GCM, app);
    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
    RecordLayerClosed closed = app.closed.get(30, TimeUnit.SECONDS);
    assertEquals(AlertReason.BAD_CERTIFICATE, closed.reason());
    assertEquals(RecordLayerClosed.Origin.PEER, closed.origin());
    ch.closeFuture().await(10, TimeUnit.SECONDS);
    assertEquals(0, app.received.size());
  }
}
