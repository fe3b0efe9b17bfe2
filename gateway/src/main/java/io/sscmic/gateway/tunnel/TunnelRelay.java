package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.frame.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
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
final class TunnelRelay {
  private static final Logger LOG = Logger.getLogger(TunnelRelay.class.getName());

  private final String id;
  private final TunnelMetrics.Side side;
  private final NetSocket plain;
  private final NetSocket tunnel;
  private final FrameDecoder decoder;
  private final FrameSealer sealer;
  private final FrameOpener opener;
  private final TunnelMetrics metrics;
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
  }

  /** Takes over both sockets; frames already decoded after the handshake arrive through the decoder. */
  void start() {
    metrics.opened(side);
    peer.opened();
    plain.handler(this::fromLocal);
    plain.exceptionHandler(e -> LOG.fine(() -> id + ": local socket: " + e));
    plain.closeHandler(v -> onLocalClosed());
    tunnel.exceptionHandler(e -> LOG.fine(() -> id + ": tunnel socket: " + e));
    tunnel.closeHandler(v -> onTunnelClosed());
    decoder.sink(this::fromTunnel);
    plain.resume();
    tunnel.resume();
    idle.add(this);
  }

  long lastActivityNanos() {
    return lastActivity;
  }

  /** Nothing moved either way for {@code limit}: the peer is told (ERROR timeout) and the local side reset. */
  void idleTimeout(java.time.Duration limit) {
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
  void shutdown() {
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
    for (int off = 0; off < len; off += Protocol.MAX_PAYLOAD) {
      writeTunnel(sealer.data(buf, off, Math.min(len, off + Protocol.MAX_PAYLOAD)));
    }
    metrics.sent(side, len);
    peer.sent(len);
    if (tunnel.writeQueueFull()) {
      plain.pause();
      tunnel.drainHandler(v -> {
        if (!closed) {
          plain.resume();
        }
      });
    }
  }

  private void fromTunnel(int d, FrameType type, byte[] frame) throws ProtocolException {
    if (closed) {
      return;
    }
    byte[] payload = opener.open(d, type, frame);
    lastActivity = System.nanoTime();
    metrics.frameOpened(opener.lastRole());
    if (peerEnded && type != FrameType.ERROR) {
      throw new ProtocolException(FailureReason.MALFORMED, type + " frame after END");
    }
    switch (type) {
      case DATA:
        metrics.received(side, payload.length);
        peer.received(payload.length);
        writeLocal(Buffer.buffer(payload));
        if (plain.writeQueueFull()) {
          tunnel.pause();
          plain.drainHandler(v -> {
            if (!closed) {
              tunnel.resume();
            }
          });
        }
        break;
      case END:
        peerEnded = true;
        lastPlainWrite.onComplete(ar -> TcpHalfClose.shutdownOutput(plain));
        finishIfDone();
        break;
      case ERROR:
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

  private void closeTunnel() {
    markClosed();
    lastTunnelWrite.onComplete(ar -> tunnel.close());
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
    lastTunnelWrite = track(tunnel.write(frame), frame.length());
  }

  private void writeLocal(Buffer data) {
    lastPlainWrite = track(plain.write(data), data.length());
  }

  private Future<Void> track(Future<Void> write, int bytes) {
    metrics.queued(bytes);
    return write.andThen(ar -> metrics.queued(-bytes));
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return sb.toString();
  }
}
