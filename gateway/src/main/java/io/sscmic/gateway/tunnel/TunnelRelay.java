package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.vertx.VertxInternals;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.ProtocolException;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Moves one established connection both ways: plaintext from the local socket is sealed into
 * DATA frames, frames from the tunnel are opened and written to the local socket. Each direction
 * pauses its source while the destination's write queue is full, so memory stays bounded whatever
 * the speed of either end. The local side's FIN becomes an END frame and an END frame becomes a
 * FIN, so half-closed streams work; the connection closes when both directions have ended. Any
 * frame that fails to open tears the connection down: nothing that failed authentication reaches
 * the local socket.
 */
public final class TunnelRelay implements IdleSweeper.Stream {
  private static final Logger LOG = Logger.getLogger(TunnelRelay.class.getName());

  private final String id;
  private final TunnelMetrics.Side side;
  private final NetSocket plain;
  private final NetSocket tunnel;
  private final FrameDecoder decoder;
  private final FrameSealer sealer;
  private final FrameOpener opener;
  private final TunnelMetrics metrics;
  private final Flow toTunnel;
  private final Flow toLocal;
  private static final int HIGH_WATER = 128 * 1024;
  private static final int LOW_WATER = 32 * 1024;
  private static final int MIN_OPENED = 1024;
  /** A 64 KiB read of full frames, the most Netty's adaptive allocator reads at once. */
  private static final int MAX_OPENED = 65536;
  /** Plaintext opened from the current tunnel chunk, not yet written to the local socket. */
  private byte[] opened;
  private int openedLength;
  private int openedHint = MIN_OPENED;
  private final PeerMetrics.Peer peer;
  private Future<Void> lastTunnelWrite = Future.succeededFuture();
  private Future<Void> lastPlainWrite = Future.succeededFuture();
  private final IdleSweeper idle;
  private long lastActivity = System.nanoTime();
  private boolean localEnded;
  private boolean peerEnded;
  private boolean closed;

  TunnelRelay(String id, TunnelMetrics.Side side, NetSocket plain, NetSocket tunnel, FrameDecoder decoder,
              FrameSealer sealer, FrameOpener opener, TunnelMetrics metrics, IdleSweeper idle,
              PeerMetrics.Peer peer) {
    this.peer = peer;
    this.idle = idle;
    this.id = id;
    this.side = side;
    this.plain = plain;
    this.tunnel = tunnel;
    this.decoder = decoder;
    this.sealer = sealer;
    this.opener = opener;
    this.metrics = metrics;
    this.toTunnel = new Flow(plain, tunnel);
    this.toLocal = new Flow(tunnel, plain);
  }

  /** Takes over both sockets; frames already decoded after the handshake arrive through the decoder. */
  void start() {
    start(null);
  }

  /**
   * Takes over both sockets, first opening {@code early}: whole frames that arrived before the
   * relay existed (the server reads the client's first frame before it connects to its service).
   */
  void start(byte[] early) {
    metrics.opened(side);
    peer.opened();
    plain.handler(this::fromLocal);
    plain.exceptionHandler(e -> LOG.fine(() -> id + ": local socket: " + e));
    plain.closeHandler(v -> onLocalClosed());
    tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": tunnel socket: " + e));
    tunnel.closeHandler(v -> onTunnelClosed());
    FrameDecoder.Sink sink = new FrameDecoder.Sink() {
      @Override
      public void onFrame(int d, FrameType type, byte[] buf, int offset, int length) throws ProtocolException {
        fromTunnel(d, type, buf, offset, length);
      }

      @Override
      public void onChunkEnd() {
        flushLocal();
      }
    };
    decoder.expect(FrameType.SEALED);
    decoder.sink(sink);
    if (early != null && early.length > 0) {
      try {
        new FrameDecoder(sink).feed(Buffer.buffer(early));
      } catch (ProtocolException e) {
        refuse(e);
      }
    }
    if (closed) {
      return;
    }
    plain.resume();
    tunnel.resume();
    idle.add(this);
  }

  /**
   * Sends the client's key confirmation (an empty DATA frame) before anything else: the server
   * connects to its local service only once it has opened it (docs/PROTOCOL.md 3.4).
   */
  void confirmKeys() {
    writeTunnel(sealer.confirm());
  }

  @Override
  public long lastActivityNanos() {
    return lastActivity;
  }

  /** Nothing moved either way for {@code limit}: the peer is told (ERROR timeout) and the local side reset. */
  @Override
  public void idleTimeout(java.time.Duration limit) {
    if (closed) {
      return;
    }
    failed(FailureReason.TIMEOUT);
    LOG.info(() -> id + ": idle for more than " + limit.toSeconds() + " s (tunnel.idle-timeout), closing");
    writeTunnel(sealer.error(FailureReason.TIMEOUT, "idle for more than " + limit.toMillis() + " ms"));
    abortLocal();
    closeTunnel();
  }

  /** The node is stopping and will not wait for this stream: the peer is told, the local side reset. */
  @Override
  public void shutdown() {
    if (closed) {
      return;
    }
    failed(FailureReason.SHUTTING_DOWN);
    LOG.info(() -> id + ": closing a stream the sidecar no longer waits for (shutting down)");
    writeTunnel(sealer.error(FailureReason.SHUTTING_DOWN, FailureReason.SHUTTING_DOWN.description()));
    abortLocal();
    closeTunnel();
  }

  /**
   * Feeds tunnel bytes that arrived during the handshake or afterwards; an empty buffer is the
   * peer's FIN, in order after every frame before it (see {@link TcpHalfClose}).
   */
  void onTunnelBytes(Buffer chunk) {
    if (chunk.length() == 0) {
      onTunnelEnd();
      return;
    }
    try {
      decoder.feed(chunk);
    } catch (ProtocolException e) {
      refuse(e);
    }
  }

  private void fromLocal(Buffer buf) {
    if (closed || localEnded) {
      return;
    }
    lastActivity = System.nanoTime();
    int len = buf.length();
    if (len == 0) {
      localEnded = true;
      writeTunnel(sealer.end());
      finishIfDone();
      return;
    }
    writeTunnel(sealer.data(buf, 0, len));
    metrics.sent(side, len);
    peer.sent(len);
    if (toTunnel.full()) {
      toTunnel.pauseSource();
    }
  }

  private void fromTunnel(int d, FrameType type, byte[] buf, int offset, int length) throws ProtocolException {
    if (closed) {
      return;
    }
    // DATA is opened straight into the chunk's output; anything else into an array of its own.
    int n = FrameOpener.plainLength(length);
    boolean data = type == FrameType.DATA && !peerEnded;
    if (data) {
      reserve(n);
    }
    byte[] payload = data ? opened : new byte[n];
    opener.open(d, type, buf, offset, length, payload, data ? openedLength : 0);
    lastActivity = System.nanoTime();
    metrics.frameOpened(opener.lastRole());
    if (peerEnded && type != FrameType.ERROR) {
      throw new ProtocolException(FailureReason.MALFORMED, type + " frame after END");
    }
    switch (type) {
      case DATA:
        openedLength += n;
        metrics.received(side, n);
        peer.received(n);
        break;
      case END:
        peerEnded = true;
        flushLocal();
        lastPlainWrite.onComplete(ar -> TcpHalfClose.shutdownOutput(plain));
        finishIfDone();
        break;
      case ERROR:
        flushLocal();
        FailureReason reason = FailureReason.fromCode(payload[0] & 0xFF);
        String text = new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8);
        // An application resetting its own connection is routine; anything else is worth a warning.
        LOG.log(reason == FailureReason.PEER_ABORTED || reason == FailureReason.TIMEOUT ? Level.INFO : Level.WARNING,
            () -> id
            + ": the other sidecar aborted the stream: " + reason.label() + " (" + printable(text) + ")");
        failed(FailureReason.PEER_ABORTED);
        abortLocal();
        closeTunnel();
        break;
      default:
        throw new ProtocolException(FailureReason.MALFORMED, type + " frame inside a stream");
    }
  }

  /** Room for {@code n} more plaintext bytes; sized from the last chunk, so growth is rare. */
  private void reserve(int n) {
    if (opened == null) {
      opened = new byte[Math.max(n, openedHint)];
    } else if (opened.length - openedLength < n) {
      opened = Arrays.copyOf(opened, Math.max(2 * opened.length, openedLength + n));
    }
  }

  /**
   * Writes the plaintext of every DATA frame of one tunnel chunk in one go: one write and one
   * flush (one system call) per chunk rather than per frame.
   */
  private void flushLocal() {
    if (openedLength == 0) {
      return;
    }
    Buffer data = VertxInternals.buffer(Unpooled.wrappedBuffer(opened, 0, openedLength));
    openedHint = Math.max(MIN_OPENED, Math.min(openedLength, MAX_OPENED));
    opened = null;
    openedLength = 0;
    writeLocal(data);
    if (toLocal.full()) {
      toLocal.pauseSource();
    }
  }

  void refuse(ProtocolException e) {
    if (closed) {
      return;
    }
    failed(e.reason());
    LOG.warning(() -> id + ": refused a frame from the tunnel, closing: " + e.getMessage());
    decoder.stop();
    writeTunnel(sealer.error(e.reason(), e.reason().description()));
    abortLocal();
    closeTunnel();
  }

  private void onLocalClosed() {
    if (closed) {
      return;
    }
    String why = localEnded ? "the local application closed before the other side finished"
        : "the local connection was reset";
    LOG.info(() -> id + ": " + why);
    writeTunnel(sealer.error(FailureReason.PEER_ABORTED, why));
    closeTunnel();
  }

  /** The peer closed its side after everything it sent: normal once its END has been read. */
  private void onTunnelEnd() {
    if (closed || (peerEnded && localEnded)) {
      return;
    }
    onTunnelClosed();
    // Half-closure keeps our side open after the peer's FIN: close it, the stream is over.
    tunnel.close();
  }

  private void onTunnelClosed() {
    if (closed) {
      return;
    }
    failed(FailureReason.TRUNCATED);
    LOG.warning(() -> id + ": tunnel closed without end-of-stream (after " + opener.sequence()
        + " frames), resetting the local connection");
    abortLocal();
    markClosed();
  }

  private void failed(FailureReason reason) {
    metrics.failure(reason);
    peer.streamFailed(reason);
  }

  private void finishIfDone() {
    if (!(localEnded && peerEnded) || closed) {
      return;
    }
    markClosed();
    LOG.fine(() -> id + ": finished, " + sealer.sequence() + " frames sent, " + opener.sequence() + " received");
    Future.join(lastTunnelWrite, lastPlainWrite).onComplete(ar -> {
      tunnel.close();
      plain.close();
    });
  }

  private void abortLocal() {
    lastPlainWrite.onComplete(ar -> TcpHalfClose.abort(plain));
  }

  /**
   * Ends an aborted stream's tunnel with a lingering close, not a plain one: the peer may still be
   * sending, and closing with its bytes unread would reset the connection, which can make the
   * peer's kernel drop our ERROR frame unread; the peer would then report {@code truncated}
   * instead of the reason we sent.
   */
  private void closeTunnel() {
    markClosed();
    lastTunnelWrite.onComplete(ar -> TcpHalfClose.lingeringClose(tunnel, TcpHalfClose.LINGER));
  }

  private void markClosed() {
    if (!closed) {
      closed = true;
      metrics.closed(side);
      peer.closed();
      idle.remove(this);
    }
  }

  private void writeTunnel(Buffer frame) {
    metrics.frameSealed(side);
    lastTunnelWrite = toTunnel.write(frame);
  }

  private void writeLocal(Buffer data) {
    lastPlainWrite = toLocal.write(data);
  }

  /**
   * One direction's back-pressure, counted in bytes written and not yet handed to the kernel: the
   * source is paused above {@link #HIGH_WATER} and resumed at or below {@link #LOW_WATER} once
   * the destination is writable again. Vert.x's own writability is not enough on its own: it
   * lags behind writes made from another connection's handler, so large writes could pile up.
   */
  private final class Flow {
    private final NetSocket source;
    private final NetSocket destination;
    private long pending;
    private boolean paused;

    Flow(NetSocket source, NetSocket destination) {
      this.source = source;
      this.destination = destination;
    }

    Future<Void> write(Buffer data) {
      int bytes = data.length();
      pending += bytes;
      metrics.queued(bytes);
      return destination.write(data).andThen(ar -> {
        pending -= bytes;
        metrics.queued(-bytes);
        resumeIfDrained();
      });
    }

    boolean full() {
      return pending > HIGH_WATER || destination.writeQueueFull();
    }

    void pauseSource() {
      if (!paused) {
        paused = true;
        source.pause();
        destination.drainHandler(v -> resumeIfDrained());
      }
    }

    private void resumeIfDrained() {
      if (paused && !closed && pending <= LOW_WATER && !destination.writeQueueFull()) {
        paused = false;
        source.resume();
      }
    }
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return sb.toString();
  }
}
