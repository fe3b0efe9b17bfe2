package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.ProtocolException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One tunnel socket from its first byte until its handshake ends: bytes go to the handshake's
 * frame decoder, then, once a relay has taken over, to the relay. A decoding error or the
 * deadline ends the handshake through {@link #fail}; the peer's FIN through {@link #onPeerClosed}.
 * The socket-free protocol logic lives in the server and client handshakes; this class is only the
 * plumbing both directions share.
 */
public abstract class HandshakeConnection {
  protected final String id;
  protected final NetSocket tunnel;
  protected final FrameDecoder decoder;
  private TunnelRelay relay;
  private boolean done;
  private long timer = -1;
  private Vertx vertx;

  protected HandshakeConnection(String id, NetSocket tunnel) {
    this.id = id;
    this.tunnel = tunnel;
    this.decoder = new FrameDecoder(this::onFrame);
  }

  /** Starts reading and arms the deadline; {@code timeout} says what the deadline means. */
  protected final void begin(Vertx vertx, Duration deadline, Supplier<ProtocolException> timeout) {
    this.vertx = vertx;
    timer = vertx.setTimer(deadline.toMillis(), t -> fail(timeout.get()));
    tunnel.handler(this::onBytes);
  }

  /** A handshake frame (whole, header included). */
  protected abstract void onFrame(int d, FrameType type, byte[] frame) throws ProtocolException;

  /** The handshake failed: count, log, answer. Called at most once (guarded by {@link #finish}). */
  protected abstract void fail(ProtocolException e);

  /** The peer closed (FIN or close) before the handshake ended. */
  protected abstract void onPeerClosed();

  /** True once the handshake has ended, accepted or not. */
  protected final boolean done() {
    return done;
  }

  /**
   * Ends the handshake (the deadline is cancelled); false when it had already ended, so that the
   * caller does nothing twice.
   */
  protected final boolean finish() {
    if (done) {
      return false;
    }
    done = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return true;
  }

  /** The relay takes over the socket; frames decoded from now on go to it. */
  protected final void relay(TunnelRelay next) {
    relay(next, null);
  }

  /** As {@link #relay(TunnelRelay)}, the relay first opening {@code early}, whole frames read before it existed. */
  protected final void relay(TunnelRelay next, byte[] early) {
    relay = next;
    next.start(early);
  }

  /** The client's side: the relay's first frame is the key confirmation, then it takes over. */
  protected final void relayConfirmingKeys(TunnelRelay next) {
    relay = next;
    next.confirmKeys();
    next.start(null);
  }

  /**
   * Sees the bytes before the handshake's decoder does, until it hands them on: returns what the
   * decoder should read now (the chunk itself, or bytes it held back), or null to read nothing
   * yet. The inbound listener uses it to tell a v2 connection by its first header.
   */
  protected Buffer divert(Buffer chunk) {
    return chunk;
  }

  private void onBytes(Buffer chunk) {
    if (relay != null) {
      relay.onTunnelBytes(chunk);
      return;
    }
    chunk = divert(chunk);
    if (chunk == null) {
      return;
    }
    if (chunk.length() == 0) {
      onPeerClosed();
      return;
    }
    try {
      decoder.feed(chunk);
    } catch (ProtocolException e) {
      if (relay != null) {
        relay.refuse(e);
      } else {
        fail(e);
      }
    }
  }
}
