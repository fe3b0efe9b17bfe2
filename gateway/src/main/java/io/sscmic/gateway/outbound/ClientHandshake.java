package io.sscmic.gateway.outbound;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.AcceptFrame;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.frame.RefuseFrame;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * The client's side of the tunnel handshake for one connection, without a socket: builds the
 * HELLO for a service, then judges the server's answer, giving the traffic keys of the stream
 * ({@link Established}) or a typed {@link Failed}. Not thread-safe (one connection's event loop).
 */
public final class ClientHandshake {
  private final KeySchedule schedule;
  private final CipherSuite cipher;
  private final AeadProvider provider;
  private final byte[] clientRandom = new byte[Protocol.RANDOM_LENGTH];
  private final byte[] hello;

  /** What the server's answer amounts to. */
  public sealed interface Result permits Established, Failed {
  }

  /** ACCEPT verified: the stream runs under {@code keys}. */
  public record Established(TrafficKeys keys) implements Result {
  }

  /** No stream: {@code reason} is what the client counts, {@code detail} what it logs. */
  public record Failed(FailureReason reason, String detail) implements Result {
    public ProtocolException exception() {
      return new ProtocolException(reason, detail);
    }
  }

  /**
   * Builds the hello at once, under the schedule's current epoch.
   *
   * @throws IllegalStateException when the schedule has no key state yet (check {@code isReady} first)
   */
  public ClientHandshake(KeySchedule schedule, CipherSuite cipher, AeadProvider provider, SecureRandom random,
                         String service) {
    this.schedule = Objects.requireNonNull(schedule);
    this.cipher = Objects.requireNonNull(cipher);
    this.provider = Objects.requireNonNull(provider);
    KeyState state = schedule.current();
    if (state == null) {
      throw new IllegalStateException("no key state yet");
    }
    random.nextBytes(clientRandom);
    hello = HelloFrame.encode(state.tc(), cipher, clientRandom, service, state.chainKey(KeyRole.CURRENT));
  }

  /** The HELLO frame to send. */
  public byte[] hello() {
    return hello.clone();
  }

  /** Judges one whole frame from the server (header included): ACCEPT, REFUSE, or anything else. */
  public Result answer(byte[] frame) {
    if (frame.length < Protocol.HEADER_LENGTH + 1) {
      return new Failed(FailureReason.MALFORMED, "answer of " + frame.length + " bytes");
    }
    FrameType type = FrameType.fromCode(frame[2] & 0xFF);
    if (type == FrameType.REFUSE) {
      // Unauthenticated: anyone on the path can send one. Counted as peer_refused whatever it
      // claims, so that nobody but the peer's own metrics decides which reason a client alerts on.
      String claimed = RefuseFrame.reason(frame).label();
      String text = RefuseFrame.text(frame);
      return new Failed(FailureReason.PEER_REFUSED, "refused the hello, saying " + claimed
          + (text.equals(claimed) ? "" : " (" + text + ")") + "; REFUSE is unauthenticated, so counted as peer_refused");
    }
    if (type != FrameType.ACCEPT || frame.length != Protocol.HEADER_LENGTH + AcceptFrame.BODY_LENGTH) {
      return new Failed(FailureReason.MALFORMED, "expected ACCEPT, got " + (type == null ? "an unknown type" : type)
          + " of " + frame.length + " bytes");
    }
    KeyState state = schedule.current();
    int d = HelloFrame.d(frame);
    byte[] chainKey = state == null ? null : schedule.keyFor(state, d);
    if (chainKey == null) {
      return new Failed(state != null && state.distanceTo(d) > 0 ? FailureReason.FUTURE_EPOCH
          : FailureReason.STALE_EPOCH, "accept epoch header " + d + ", local tc " + (state == null ? "-" : state.tc()));
    }
    // The MAC before the version: a tampered version byte is tampering (auth), not version skew.
    if (!AcceptFrame.macValid(frame, hello, chainKey)) {
      int version = AcceptFrame.version(frame);
      return new Failed(FailureReason.AUTH, "accept MAC does not verify (peer not in this mesh, or tampered"
          + (version != Protocol.VERSION ? "; its version byte says " + version : "") + ")");
    }
    if (AcceptFrame.version(frame) != Protocol.VERSION) {
      return new Failed(FailureReason.UNSUPPORTED, "accept version " + AcceptFrame.version(frame));
    }
    return new Established(new TrafficKeys(clientRandom, AcceptFrame.serverRandom(frame), cipher, provider));
  }
}
