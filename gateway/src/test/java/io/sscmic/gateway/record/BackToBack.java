package io.sscmic.gateway.record;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.handshake.HandshakeSettings;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Two EmbeddedChannels wired back to back: a client with the initiator record handler and a
 * server with the responder, each with a {@link Recorder} above; {@link #shuttle} moves what each
 * one writes into the other, keeping a copy of every wire chunk, until both are quiet.
 */
final class BackToBack implements AutoCloseable {
  final KeySynRecordHandler clientHandler;
  final KeySynRecordHandler serverHandler;
  final Recorder clientApp = new Recorder();
  final Recorder serverApp = new Recorder();
  final EmbeddedChannel client;
  final EmbeddedChannel server;
  final List<byte[]> clientToServer = new ArrayList<>();
  final List<byte[]> serverToClient = new ArrayList<>();

  BackToBack(HandshakeSettings clientSettings, String destination, CipherSuite suite, HandshakeSettings serverSettings) {
    clientHandler = KeySynRecordHandler.initiator(clientSettings, destination, suite);
    serverHandler = KeySynRecordHandler.responder(serverSettings);
    client = new EmbeddedChannel(clientHandler, clientApp);
    server = new EmbeddedChannel(serverHandler, serverApp);
  }

  /** Moves bytes both ways until neither side writes anything more. */
  BackToBack shuttle() {
    boolean moved = true;
    while (moved) {
      moved = move(client, server, clientToServer) | move(server, client, serverToClient);
    }
    return this;
  }

  /**
   * As {@link #shuttle}, but what the client writes reaches the server re-cut into reads of
   * {@code sizes} bytes in turn (direct buffers, as a socket's reads are), so that record headers
   * and bodies straddle reads.
   */
  BackToBack shuttleSplit(int... sizes) {
    int[] turn = {0};
    boolean moved = true;
    while (moved) {
      moved = false;
      ByteBuf b;
      while ((b = client.readOutbound()) != null) {
        moved = true;
        byte[] bytes = ByteBufUtil.getBytes(b);
        b.release();
        clientToServer.add(bytes);
        for (int at = 0; at < bytes.length && server.isOpen(); ) {
          int n = Math.min(sizes[turn[0]++ % sizes.length], bytes.length - at);
          ByteBuf read = Unpooled.directBuffer(n);
          read.writeBytes(bytes, at, n);
          server.writeInbound(read);
          at += n;
        }
      }
      moved |= move(server, client, serverToClient);
    }
    return this;
  }

  private static boolean move(EmbeddedChannel from, EmbeddedChannel to, List<byte[]> capture) {
    boolean moved = false;
    ByteBuf b;
    while ((b = from.readOutbound()) != null) {
      moved = true;
      if (!b.isReadable()) {
        b.release();
        continue;
      }
      capture.add(ByteBufUtil.getBytes(b));
      if (to.isOpen()) {
        to.writeInbound(b);
      } else {
        b.release();
      }
    }
    return moved;
  }

  /** Every record of one direction's capture, split at the record headers. */
  static List<byte[]> records(List<byte[]> capture) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    capture.forEach(all::writeBytes);
    byte[] bytes = all.toByteArray();
    List<byte[]> out = new ArrayList<>();
    int pos = 0;
    while (pos + 5 <= bytes.length) {
      int len = (bytes[pos + 3] & 0xFF) << 8 | bytes[pos + 4] & 0xFF;
      out.add(java.util.Arrays.copyOfRange(bytes, pos, Math.min(bytes.length, pos + 5 + len)));
      pos += 5 + len;
    }
    return out;
  }

  static ByteBuf bytes(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }

  @Override
  public void close() {
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }

  /** The application above the record layer: keeps the plaintext it reads and the events it sees. */
  static final class Recorder extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Object> events = new CopyOnWriteArrayList<>();
    int reads;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      try {
        received.writeBytes(ByteBufUtil.getBytes(b));
        reads++;
      } finally {
        b.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }

    HandshakeCompleted completed() {
      return events.stream().filter(HandshakeCompleted.class::isInstance).map(HandshakeCompleted.class::cast)
          .findFirst().orElse(null);
    }

    RecordLayerClosed closed() {
      return events.stream().filter(RecordLayerClosed.class::isInstance).map(RecordLayerClosed.class::cast)
          .findFirst().orElse(null);
    }
  }
}
