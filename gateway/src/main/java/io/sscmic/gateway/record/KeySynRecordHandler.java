package io.sscmic.gateway.record;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CoalescingBufferQueue;
import io.netty.channel.PendingWriteQueue;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.Alerts;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.handshake.Established;
import io.sscmic.gateway.handshake.HandshakeFailure;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.Init;
import io.sscmic.gateway.handshake.Initiator;
import io.sscmic.gateway.handshake.Messages;
import io.sscmic.gateway.handshake.Responder;
import io.sscmic.gateway.handshake.Wire;
import io.sscmic.keysyn.KeyState;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The KeySyn record layer of tunnel v2 as a Netty handler, where an SslHandler would sit
 * (docs/PROTOCOL-v2.md). It runs the handshake first (initiator or responder), then seals every
 * outbound ByteBuf into DATA records and passes the plaintext of inbound DATA records up, so the
 * layer above (the multiplexer) sees plain bytes.
 *
 * <p>Before the handshake verifies, only the record the state expects is accepted, checked at its
 * 5-byte header before any of its body is buffered: a responder takes exactly one HANDSHAKE record
 * no longer than the largest INIT, then one no longer than the largest FINISH (invariant 9). Writes
 * from above wait in a {@link PendingWriteQueue} (which counts toward the channel's writability)
 * until the handshake verifies; the initiator's FINISH goes out with the first of them.
 *
 * <p>After the handshake, writes are gathered until a flush and sealed together, as SslHandler does:
 * the multiplexer writes each DATA frame as a 9-byte header and its payload, and every stream its
 * own frames, so sealing each write made two records (two AEAD calls, two tags) per frame. Sealed
 * at the flush, a burst of small frames is one record. What is gathered counts toward the
 * channel's writability, and more than {@value #SEAL_EARLY_BYTES} bytes are sealed without waiting.
 *
 * <p>Every refusal is typed ({@link AlertReason}): the peer is told with an ALERT (sealed when a key
 * the peer can compute exists, in clear before that), a {@link RecordLayerClosed} user event goes
 * up for the layer above to count, and the connection closes (half-close after the ALERT, so that
 * the peer reads it before any reset). A v1 HELLO gets v1's REFUSE {@code unsupported}.
 * Not thread-safe: one instance per channel, used on its event loop.
 */
public final class KeySynRecordHandler extends ChannelDuplexHandler {
  /** How long a closing side waits for the peer's FIN after its ALERT before closing anyway. */
  static final long LINGER_MILLIS = 1000;

  /** Gathered plaintext above this is sealed before the flush: four full records, then more gathering. */
  static final int SEAL_EARLY_BYTES = 4 * io.sscmic.gateway.handshake.Wire.MAX_PLAINTEXT;

  private enum Phase { NEW, AWAIT_INIT, AWAIT_RESP, AWAIT_FINISH, ESTABLISHED, CLOSED }

  private final HandshakeSettings settings;
  private final boolean initiator;
  private final Initiator client;
  private final Responder server;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.NEW;
  /** The buffer records are being opened from, during one read. */
  private ByteBuf cumulation;
  /** The start of a record that spans reads (a heap buffer sized to it), or null. */
  private ByteBuf partial;
  private PendingWriteQueue pending;
  /** Plaintext written since the last flush, after the handshake: sealed at the flush. */
  private CoalescingBufferQueue gathered;
  private boolean flushRequested;
  private ScheduledFuture<?> timeout;
  private long startNanos;
  private byte[] scratch;
  private RecordSealer sealer;
  private RecordOpener opener;
  private String peerNodeId;
  /** Whether this read batch gave the layer above anything; if not, ask for more (autoRead off). */
  private boolean firedRead;

  private KeySynRecordHandler(HandshakeSettings settings, Initiator client, Responder server) {
    this.settings = settings;
    this.initiator = client != null;
    this.client = client;
    this.server = server;
  }

  /** The connecting side: sends INIT for {@code destination} as soon as the channel is active. */
  public static KeySynRecordHandler initiator(HandshakeSettings settings, String destination, CipherSuite suite) {
    return new KeySynRecordHandler(settings, new Initiator(settings, destination, suite), null);
  }

  /** The accepting side: waits for INIT. */
  public static KeySynRecordHandler responder(HandshakeSettings settings) {
    return new KeySynRecordHandler(settings, null, new Responder(settings));
  }

  /** True once the handshake verified and until the connection closes. */
  public boolean isEstablished() {
    return phase == Phase.ESTABLISHED;
  }

  /** The verified peer (null before the handshake verified). */
  public String peerNodeId() {
    return peerNodeId;
  }

  RecordSealer sealer() {
    return sealer;
  }

  RecordOpener opener() {
    return opener;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.pending = new PendingWriteQueue(ctx);
    this.gathered = new CoalescingBufferQueue(ctx.channel(), 4, true);
    if (ctx.channel().isActive()) {
      // Added to a live channel: start once the initializer has added the handlers above, so
      // they see the events (channelActive, if it is still to come, starts it first).
      ctx.executor().execute(this::begin);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    begin();
    ctx.fireChannelActive();
  }

  private void begin() {
    if (phase != Phase.NEW) {
      return;
    }
    startNanos = System.nanoTime();
    long millis = settings.handshakeTimeout().toMillis();
    timeout = ctx.executor().schedule(
        () -> fail(AlertReason.TIMEOUT, "no verified handshake within " + millis + " ms", false),
        millis, TimeUnit.MILLISECONDS);
    if (!initiator) {
      phase = Phase.AWAIT_INIT;
      return;
    }
    try {
      byte[] init = client.start();
      phase = Phase.AWAIT_RESP;
      ctx.writeAndFlush(Unpooled.wrappedBuffer(init));
    } catch (HandshakeFailure f) {
      phase = Phase.AWAIT_RESP;
      fail(f.reason(), f.getMessage(), false);
    }
  }

  // ---------------------------------------------------------------- inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (phase == Phase.CLOSED) {
      in.release();
      return;
    }
    begin();
    // Records are opened straight from the read buffer; only a record that spans reads is copied,
    // into a heap buffer of its own size. A merged cumulation (ByteToMessageDecoder's) grew past
    // Netty's largest pooled size class (16,896 bytes) and, in a JVM with less than 512 MiB of heap
    // (AdaptivePoolingAllocator's "low memory" mode, every node), each growth was a fresh
    // unpooled allocation: 8 % of a receiving node's CPU in a bulk profile.
    boolean inHeld = true;
    try {
      if (partial != null) {
        if (!fill(partial, in)) {
          return;
        }
        cumulation = partial;
        partial = null;
        decode();
        if (cumulation != null) {
          cumulation.release();
          cumulation = null;
        }
        if (phase == Phase.CLOSED) {
          return;
        }
      }
      cumulation = in;
      inHeld = false;
      decode();
      if (cumulation != null && cumulation.isReadable() && phase != Phase.CLOSED) {
        keepPartial();
      }
    } catch (RecordFailure f) {
      fail(f.reason(), f.getMessage(), false);
    } catch (HandshakeFailure f) {
      fail(f.reason(), f.getMessage(), false);
    } catch (V1Peer v1) {
      fail(AlertReason.UNSUPPORTED, v1.getMessage(), true);
    } catch (RuntimeException e) {
      fail(AlertReason.INTERNAL_ERROR, e.toString(), false);
    } finally {
      if (cumulation != null) {
        cumulation.release();
        cumulation = null;
      }
      if (inHeld) {
        in.release();
      }
    }
  }

  /**
   * Moves the bytes of the record being completed from {@code in} into {@code p}: the header first
   * (checked as soon as it is whole, so that a refused record's body is never buffered), then up
   * to the end of the record. True once {@code p} holds the whole record.
   */
  private boolean fill(ByteBuf p, ByteBuf in) throws RecordFailure, V1Peer {
    if (p.readableBytes() < Wire.HEADER_LENGTH) {
      p.writeBytes(in, Math.min(Wire.HEADER_LENGTH - p.readableBytes(), in.readableBytes()));
      if (p.readableBytes() < Wire.HEADER_LENGTH) {
        return false;
      }
      checkHeader(p.getUnsignedByte(p.readerIndex() + 2), p.getUnsignedShort(p.readerIndex() + 3));
    }
    int total = Wire.HEADER_LENGTH + p.getUnsignedShort(p.readerIndex() + 3);
    p.writeBytes(in, Math.min(total - p.readableBytes(), in.readableBytes()));
    return p.readableBytes() == total;
  }

  /** The unread tail of this read (the start of a record) into a heap buffer of that record's size. */
  private void keepPartial() {
    int rest = cumulation.readableBytes();
    int size = rest >= Wire.HEADER_LENGTH
        ? Wire.HEADER_LENGTH + cumulation.getUnsignedShort(cumulation.readerIndex() + 3)
        : Wire.HEADER_LENGTH + Wire.TAG_LENGTH + Wire.MAX_PLAINTEXT;
    partial = ctx.alloc().heapBuffer(Math.max(size, rest));
    partial.writeBytes(cumulation);
  }

  /** A v1 frame where a v2 record belongs. */
  private static final class V1Peer extends Exception {
    V1Peer(String message) {
      super(message, null, false, false);
    }
  }

  private void decode() throws RecordFailure, HandshakeFailure, V1Peer {
    while (phase != Phase.CLOSED && cumulation != null && cumulation.readableBytes() >= Wire.HEADER_LENGTH) {
      int ri = cumulation.readerIndex();
      int type = cumulation.getUnsignedByte(ri + 2);
      int length = cumulation.getUnsignedShort(ri + 3);
      checkHeader(type, length);
      int total = Wire.HEADER_LENGTH + length;
      if (cumulation.readableBytes() < total) {
        return;
      }
      cumulation.readerIndex(ri + total);
      record(type, ri, total);
    }
  }

  /** Refuses a record at its header, before any of its body is buffered. */
  private void checkHeader(int type, int length) throws RecordFailure, V1Peer {
    switch (phase) {
      case AWAIT_INIT:
        if (Wire.isV1Type(type)) {
          throw new V1Peer(String.format("v1 frame type 0x%02x: the peer speaks tunnel protocol 1", type));
        }
        expect(type == Wire.TYPE_HANDSHAKE, type, length, Init.MIN_BODY, Init.MAX_BODY);
        return;
      case AWAIT_RESP:
        if (type == Wire.TYPE_HANDSHAKE) {
          bounds(type, length, Messages.RESP_MIN_BODY, Messages.RESP_MAX_BODY);
        } else {
          expect(type == Wire.TYPE_CLEAR_ALERT || type == Wire.V1_REFUSE, type, length, 1, 1 + Wire.MAX_ALERT_TEXT);
        }
        return;
      case AWAIT_FINISH:
        if (type == Wire.TYPE_HANDSHAKE) {
          bounds(type, length, Messages.FINISH_MIN_BODY, Messages.FINISH_MAX_BODY);
        } else if (type == Wire.TYPE_ALERT) {
          bounds(type, length, Wire.TAG_LENGTH + 1, Wire.TAG_LENGTH + 1 + Wire.MAX_ALERT_TEXT);
        } else {
          expect(type == Wire.TYPE_CLEAR_ALERT, type, length, 1, 1 + Wire.MAX_ALERT_TEXT);
        }
        return;
      case ESTABLISHED:
        if (type == Wire.TYPE_DATA) {
          bounds(type, length, Wire.TAG_LENGTH + 1, Wire.TAG_LENGTH + Wire.MAX_PLAINTEXT);
        } else {
          expect(type == Wire.TYPE_ALERT, type, length, Wire.TAG_LENGTH + 1, Wire.TAG_LENGTH + 1 + Wire.MAX_ALERT_TEXT);
        }
        return;
      default:
        throw new RecordFailure(AlertReason.UNEXPECTED_RECORD, "record in phase " + phase);
    }
  }

  private void expect(boolean allowed, int type, int length, int min, int max) throws RecordFailure {
    if (!allowed) {
      throw new RecordFailure(AlertReason.UNEXPECTED_RECORD,
          String.format("record type 0x%02x not allowed while %s", type, phase.name().toLowerCase()));
    }
    bounds(type, length, min, max);
  }

  private void bounds(int type, int length, int min, int max) throws RecordFailure {
    if (length > max) {
      throw new RecordFailure(AlertReason.OVERSIZE,
          String.format("record type 0x%02x of %d bytes exceeds %d while %s", type, length, max, phase));
    }
    if (length < min) {
      throw new RecordFailure(AlertReason.MALFORMED,
          String.format("record type 0x%02x of %d bytes is shorter than %d", type, length, min));
    }
  }

  private void record(int type, int at, int total) throws RecordFailure, HandshakeFailure, V1Peer {
    switch (type) {
      case Wire.TYPE_DATA -> data(at, total);
      case Wire.TYPE_HANDSHAKE -> handshake(copy(at, total));
      case Wire.TYPE_ALERT -> sealedAlert(at, total);
      case Wire.TYPE_CLEAR_ALERT -> {
        byte[] r = copy(at, total);
        peerClosed(Alerts.parse(r, Wire.HEADER_LENGTH, total - Wire.HEADER_LENGTH),
            RecordLayerClosed.Origin.PEER_UNAUTHENTICATED);
      }
      case Wire.V1_REFUSE -> {
        byte[] r = copy(at, total);
        Alerts.PeerAlert v1 = Alerts.parse(r, Wire.HEADER_LENGTH, total - Wire.HEADER_LENGTH);
        throw new V1Peer("the peer answered with a v1 REFUSE (reason " + v1.code() + ", \"" + v1.text()
            + "\"): it speaks tunnel protocol 1 only");
      }
      default -> throw new RecordFailure(AlertReason.UNEXPECTED_RECORD, "record type " + type);
    }
  }

  private byte[] copy(int at, int total) {
    byte[] r = new byte[total];
    cumulation.getBytes(at, r);
    return r;
  }

  private void handshake(byte[] record) throws HandshakeFailure {
    switch (phase) {
      case AWAIT_INIT -> {
        byte[] resp = server.onInit(record);
        phase = Phase.AWAIT_FINISH;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(resp));
      }
      case AWAIT_RESP -> establish(client.onResponse(record));
      case AWAIT_FINISH -> establish(server.onFinish(record));
      default -> throw new HandshakeFailure(AlertReason.UNEXPECTED_RECORD, "HANDSHAKE record while " + phase);
    }
  }

  private void establish(Established done) {
    sealer = new RecordSealer(settings.schedule(), done.connectionSecret(), done.suite(), settings.provider(),
        Direction.sending(initiator));
    opener = new RecordOpener(settings.schedule(), done.connectionSecret(), done.suite(), settings.provider(),
        Direction.receiving(initiator));
    java.util.Arrays.fill(done.connectionSecret(), (byte) 0);
    peerNodeId = done.peerNodeId();
    phase = Phase.ESTABLISHED;
    cancelTimeout();
    if (initiator) {
      ctx.write(Unpooled.wrappedBuffer(done.finishRecord()));
    }
    // Queued writes go out before anything the layer above writes on the event.
    while (!pending.isEmpty() && phase == Phase.ESTABLISHED) {
      Object msg = ReferenceCountUtil.retain(pending.current());
      ChannelPromise promise = pending.remove();
      writeSealed((ByteBuf) msg, promise);
    }
    if (initiator || flushRequested) {
      ctx.flush();
    }
    if (phase == Phase.ESTABLISHED) {
      ctx.fireUserEventTriggered(new HandshakeCompleted(done.peerNodeId(), done.peerCertificate(), done.suite(),
          done.version(), initiator, done.initEpoch(), Duration.ofNanos(System.nanoTime() - startNanos)));
    }
  }

  private void data(int at, int total) throws RecordFailure {
    int n = RecordOpener.plainLength(total);
    ByteBuf out = ctx.alloc().heapBuffer(n, n);
    try {
      byte[] src;
      int off;
      if (cumulation.hasArray()) {
        src = cumulation.array();
        off = cumulation.arrayOffset() + at;
      } else {
        if (scratch == null) {
          scratch = new byte[Wire.HEADER_LENGTH + Wire.TAG_LENGTH + Wire.MAX_PLAINTEXT];
        }
        cumulation.getBytes(at, scratch, 0, total);
        src = scratch;
        off = 0;
      }
      opener.open(src, off, total, out.array(), out.arrayOffset() + out.writerIndex());
      out.writerIndex(out.writerIndex() + n);
    } catch (RecordFailure | RuntimeException e) {
      out.release();
      throw e;
    }
    firedRead = true;
    ctx.fireChannelRead(out);
  }

  private void sealedAlert(int at, int total) throws RecordFailure, HandshakeFailure {
    byte[] record = copy(at, total);
    Alerts.PeerAlert alert;
    if (phase == Phase.AWAIT_FINISH) {
      alert = server.openAlert(record);
    } else {
      byte[] plain = opener.open(record);
      alert = Alerts.parse(plain, 0, plain.length);
    }
    peerClosed(alert, RecordLayerClosed.Origin.PEER);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // With autoRead off the layer above reads on demand; a batch that held only handshake records
    // or part of a record gave it nothing, so ask for more ourselves (as ByteToMessageDecoder does).
    if (!firedRead && phase != Phase.CLOSED && !ctx.channel().config().isAutoRead()) {
      ctx.read();
    }
    firedRead = false;
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (phase != Phase.CLOSED) {
      phase = Phase.CLOSED;
      cleanup(new ClosedChannelException());
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (phase != Phase.CLOSED) {
      phase = Phase.CLOSED;
      cleanup(new ClosedChannelException());
    }
  }

  // ---------------------------------------------------------------- outbound

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf buf)) {
      ReferenceCountUtil.release(msg);
      promise.setFailure(new IllegalArgumentException("the record layer seals ByteBufs only, not "
          + msg.getClass().getSimpleName()));
      return;
    }
    switch (phase) {
      case CLOSED -> {
        buf.release();
        promise.setFailure(new ClosedChannelException());
      }
      case ESTABLISHED -> {
        gathered.add(buf, promise);
        if (gathered.readableBytes() >= SEAL_EARLY_BYTES) {
          sealGathered();
        }
      }
      default -> pending.add(buf, promise);
    }
  }

  /** Seals what was gathered, one record of up to MAX_PLAINTEXT per buffer, and writes them (no flush). */
  private void sealGathered() {
    while (phase == Phase.ESTABLISHED && !gathered.isEmpty()) {
      ChannelPromise promise = ctx.newPromise();
      // One record per buffer: a sealed record (16,405 bytes at most) fits Netty's largest pooled
      // size class, and so does the direct copy the socket write makes of it; four records in one
      // buffer were two fresh unpooled allocations per 64 KiB in a node's low-memory allocator
      // (12 % of a calling node's CPU in a bulk profile). The socket still writes them in one writev.
      ByteBuf chunk = gathered.remove(ctx.alloc(), Wire.MAX_PLAINTEXT, promise);
      writeSealed(chunk, promise);
    }
  }

  private void writeSealed(ByteBuf buf, ChannelPromise promise) {
    if (!buf.isReadable()) {
      buf.release();
      ctx.write(Unpooled.EMPTY_BUFFER, promise);
      return;
    }
    ByteBuf sealed;
    try {
      sealed = sealer.sealData(ctx.alloc(), buf);
    } catch (RecordFailure f) {
      buf.release();
      promise.setFailure(new RecordLayerException(f.reason(), f.getMessage()));
      fail(f.reason(), f.getMessage(), false);
      return;
    }
    buf.release();
    ctx.write(sealed, promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (phase == Phase.ESTABLISHED || phase == Phase.CLOSED) {
      sealGathered();
      ctx.flush();
    } else {
      flushRequested = true;
    }
  }

  /** A local close after the handshake tells the peer with an ALERT {@code closing} (like TLS close_notify). */
  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (phase == Phase.ESTABLISHED) {
      // What was written before the close goes before the ALERT that ends the connection.
      sealGathered();
      ByteBuf bye = sealer.sealAlert(ctx.alloc(), AlertReason.CLOSING);
      phase = Phase.CLOSED;
      cleanup(new ClosedChannelException());
      if (bye != null) {
        ctx.writeAndFlush(bye);
      }
    } else if (phase != Phase.CLOSED) {
      phase = Phase.CLOSED;
      cleanup(new ClosedChannelException());
    }
    ctx.close(promise);
  }

  // ---------------------------------------------------------------- failures

  private void peerClosed(Alerts.PeerAlert alert, RecordLayerClosed.Origin origin) {
    boolean handshaking = phase != Phase.ESTABLISHED;
    phase = Phase.CLOSED;
    AlertReason reason = alert.reason() == null ? AlertReason.INTERNAL_ERROR : alert.reason();
    cleanup(new RecordLayerException(reason, "peer sent " + alert.label()));
    ctx.fireUserEventTriggered(new RecordLayerClosed(reason, origin, "peer: " + alert.label() + " (" + alert.text() + ")",
        handshaking, peerNodeId));
    ctx.close();
  }

  /**
   * Ends the connection for a local reason: the peer gets an ALERT under the best key it can
   * open (record keys, then the client's handshake key, else in clear), or v1's REFUSE.
   */
  private void fail(AlertReason reason, String detail, boolean peerIsV1) {
    if (phase == Phase.CLOSED) {
      return;
    }
    Phase was = phase;
    ByteBuf alert = peerIsV1 ? Unpooled.wrappedBuffer(Alerts.v1Refuse(currentTc())) : alertFor(was, reason);
    phase = Phase.CLOSED;
    cleanup(new RecordLayerException(reason, detail));
    ctx.fireUserEventTriggered(new RecordLayerClosed(reason, RecordLayerClosed.Origin.LOCAL, detail,
        was != Phase.ESTABLISHED, peerNodeId));
    if (alert != null && ctx.channel().isActive()) {
      ctx.writeAndFlush(alert).addListener(f -> closeAfterAlert());
    } else {
      if (alert != null) {
        alert.release();
      }
      ctx.close();
    }
  }

  private ByteBuf alertFor(Phase was, AlertReason reason) {
    switch (was) {
      case ESTABLISHED:
        return sealer.sealAlert(ctx.alloc(), reason);
      case AWAIT_FINISH:
        byte[] secret = server.connectionSecret();
        if (secret != null) {
          RecordSealer s = new RecordSealer(settings.schedule(), secret, server.suite(), settings.provider(),
              Direction.SERVER_TO_CLIENT);
          ByteBuf sealed = s.sealAlert(ctx.alloc(), reason);
          s.erase();
          server.eraseSecret();
          return sealed;
        }
        break;
      case AWAIT_RESP:
        byte[] sealed = client.sealedAlert(reason);
        if (sealed != null) {
          return Unpooled.wrappedBuffer(sealed);
        }
        break;
      default:
        break;
    }
    return Unpooled.wrappedBuffer(Alerts.clearRecord(currentTc(), reason));
  }

  private int currentTc() {
    KeyState s = settings.schedule().current();
    return s == null ? 0 : s.tc();
  }

  /** Half-closes after the ALERT so the peer reads it, then closes on its FIN or after the linger. */
  private void closeAfterAlert() {
    if (ctx.channel() instanceof DuplexChannel duplex && duplex.isActive()) {
      duplex.shutdownOutput();
      ctx.executor().schedule(() -> {
        ctx.close();
      }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    } else {
      ctx.close();
    }
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  /** Releases what the handler holds and erases its keys; fails queued writes with {@code cause}. */
  private void cleanup(Throwable cause) {
    cancelTimeout();
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
    if (partial != null) {
      partial.release();
      partial = null;
    }
    if (pending != null) {
      pending.removeAndFailAll(cause);
    }
    if (gathered != null) {
      gathered.releaseAndFailAll(cause);
    }
    if (client != null) {
      client.erase();
    }
    if (server != null) {
      server.erase();
      server.eraseSecret();
    }
    if (sealer != null) {
      sealer.erase();
    }
    if (opener != null) {
      opener.erase();
    }
  }
}
