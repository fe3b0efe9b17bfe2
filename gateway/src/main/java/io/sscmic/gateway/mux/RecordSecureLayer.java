package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.handshake.AlertReason;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.record.HandshakeCompleted;
import io.sscmic.gateway.record.KeySynRecordHandler;
import io.sscmic.gateway.record.RecordLayerClosed;
import io.sscmic.gateway.record.RecordLayerException;
import java.util.Objects;

/**
 * The v2 {@link SecureLayer}: the KeySyn record layer and handshake ({@link KeySynRecordHandler},
 * docs/PROTOCOL-v2.md) below the multiplexer, where an SslHandler would sit. The pool's
 * connections run the initiator (its INIT names the node the pool dials), the listener's the
 * responder. One instance per node: the {@link HandshakeSettings} carry the node's identity,
 * verifier, key schedule and its one replay filter, shared by all its connections.
 *
 * <p>A small handler right above the record handler translates the record layer's events for
 * the multiplexer: {@link HandshakeCompleted} becomes {@link Authenticated} (an
 * {@link AuthenticatedPeer} carrying the whole handshake result), and a {@link RecordLayerClosed}
 * is left on the channel as {@link MuxAttributes#SECURE_LAYER_FAILURE} (a
 * {@link RecordLayerException} with the reason) before the record layer closes it, so the pool's
 * caller gets {@link PeerUnavailableException.Reason#HANDSHAKE_FAILED} naming the reason, e.g.
 * {@code bad_certificate} or {@code wrong_destination}. The mux depends on the record layer,
 * never the other way round.
 */
public final class RecordSecureLayer implements SecureLayer {
  /** Sees every handshake and every reasoned close, per role: the hook for metrics and tests. */
  public interface Observer {
    Observer NONE = new Observer() {
    };

    /** The handshake verified (on the connection's event loop). */
    default void handshakeCompleted(Role role, HandshakeCompleted done) {
    }

    /** The record layer ended a connection for a reason (during the handshake or later). */
    default void closed(Role role, RecordLayerClosed closed) {
    }
  }

  /** The multiplexer's view of a verified v2 handshake: the peer as its certificate names it, and the rest. */
  public record Authenticated(HandshakeCompleted handshake) implements AuthenticatedPeer {
    public Authenticated {
      Objects.requireNonNull(handshake);
    }

    @Override
    public String peerNodeId() {
      return handshake.peerNodeId();
    }
  }

  private final HandshakeSettings settings;
  private final CipherSuite suite;
  private final Observer observer;

  /**
   * @param settings this node's handshake settings (one instance per node: its replay filter is shared)
   * @param suite the cipher this node offers when it dials
   */
  public RecordSecureLayer(HandshakeSettings settings, CipherSuite suite, Observer observer) {
    this.settings = Objects.requireNonNull(settings);
    this.suite = Objects.requireNonNull(suite);
    this.observer = Objects.requireNonNull(observer);
  }

  public RecordSecureLayer(HandshakeSettings settings) {
    this(settings, CipherSuite.AES_256_GCM, Observer.NONE);
  }

  /** This node's id, as its certificate names it (what the pool and the listener report as the local node). */
  public String localNodeId() {
    return settings.identity().nodeId();
  }

  @Override
  public void install(Channel channel, Role role, String expectedPeer) {
    if (role == Role.CLIENT && expectedPeer == null) {
      // INIT names its destination and the responder refuses any other: v2 cannot dial "whoever answers".
      channel.attr(MuxAttributes.SECURE_LAYER_FAILURE).set(new IllegalArgumentException(
          "a v2 connection needs the node id of the peer it dials"));
      channel.pipeline().addLast("sscmic-record-refuse", new ChannelInboundHandlerAdapter() {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
          ctx.close();
        }
      });
      return;
    }
    KeySynRecordHandler records = role == Role.CLIENT
        ? KeySynRecordHandler.initiator(settings, expectedPeer, suite)
        : KeySynRecordHandler.responder(settings);
    channel.pipeline()
        .addLast("sscmic-record", records)
        .addLast("sscmic-record-events", new Translator(role, observer));
  }

  /** Record layer events in, multiplexer events out. Stays for the connection's life to report late closes. */
  private static final class Translator extends ChannelInboundHandlerAdapter {
    private final Role role;
    private final Observer observer;

    Translator(Role role, Observer observer) {
      this.role = role;
      this.observer = observer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof HandshakeCompleted done) {
        observer.handshakeCompleted(role, done);
        ctx.fireUserEventTriggered(new Authenticated(done));
        return;
      }
      if (evt instanceof RecordLayerClosed closed) {
        observer.closed(role, closed);
        if (closed.reason() != AlertReason.CLOSING) {
          ctx.channel().attr(MuxAttributes.SECURE_LAYER_FAILURE).setIfAbsent(new RecordLayerException(closed.reason(),
              closed.origin().name().toLowerCase() + (closed.duringHandshake() ? " during the handshake: " : ": ")
                  + closed.detail()));
        }
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
