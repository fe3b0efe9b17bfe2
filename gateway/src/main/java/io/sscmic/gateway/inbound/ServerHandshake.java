package io.sscmic.gateway.inbound;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.frame.AcceptFrame;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Set;

/**
 * The server's side of the tunnel handshake, without a socket: takes one HELLO frame and answers
 * with a typed result, either {@link Accepted} (the ACCEPT frame to send and the connection's
 * traffic keys) or {@link Refused} (the reason to put in REFUSE). The checks run in the order of
 * docs/PROTOCOL.md section 3.1; the listener adds only what needs a socket (limits, the local
 * service). Thread-confined to the listener's event loop, like the replay cache's callers.
 */
public final class ServerHandshake {
  private final KeySchedule schedule;
  private final HelloReplayCache replays;
  private final Set<String> services;
  private final AeadProvider provider;
  private final SecureRandom random;

  /** What a hello earned. */
  public sealed interface Result permits Accepted, Refused {
  }

  /**
   * The hello verified: send {@code accept}, then the stream runs under {@code keys}.
   *
   * @param hello the parsed hello (service, cipher, client random)
   */
  public record Accepted(HelloFrame hello, byte[] accept, TrafficKeys keys) implements Result {
    public String service() {
      return hello.service();
    }
  }

  /**
   * The hello was refused for {@code reason} ({@code detail} is for the log).
   *
   * @param member true when the hello verified and was fresh: the sender is a mesh member, and may be
   *     labelled as a peer in the metrics
   */
  public record Refused(FailureReason reason, String detail, boolean member) implements Result {
    public ProtocolException exception() {
      return new ProtocolException(reason, detail);
    }
  }

  /**
   * @param services the services this node offers by name
   * @param replays hellos seen by this process (and the epoch its memory starts at)
   */
  public ServerHandshake(KeySchedule schedule, HelloReplayCache replays, Set<String> services,
                         AeadProvider provider, SecureRandom random) {
    this.schedule = Objects.requireNonNull(schedule);
    this.replays = Objects.requireNonNull(replays);
    this.services = Set.copyOf(services);
    this.provider = Objects.requireNonNull(provider);
    this.random = Objects.requireNonNull(random);
  }

  /** Judges one whole HELLO frame (header included). */
  public Result answer(byte[] frame) {
    int bodyLength = frame.length - Protocol.HEADER_LENGTH;
    if (bodyLength < HelloFrame.MIN_BODY || bodyLength > HelloFrame.MAX_BODY
        || FrameType.fromCode(frame[2] & 0xFF) != FrameType.HELLO
        || ((frame[3] & 0xFF) << 8 | frame[4] & 0xFF) != bodyLength) {
      return new Refused(FailureReason.MALFORMED, "not a HELLO frame of " + HelloFrame.MIN_BODY + ".."
          + HelloFrame.MAX_BODY + " body bytes (" + Math.max(0, bodyLength) + " bytes)", false);
    }
    KeyState state = schedule.current();
    if (state == null) {
      return new Refused(FailureReason.NOT_READY, "this sidecar has no key state yet", false);
    }
    int d = HelloFrame.d(frame);
    byte[] chainKey = schedule.keyFor(state, d);
    if (chainKey == null) {
      return new Refused(state.distanceTo(d) > 0 ? FailureReason.FUTURE_EPOCH : FailureReason.STALE_EPOCH,
          "hello epoch header " + d + ", local tc " + state.tc(), false);
    }
    // The MAC first: nothing in the body is believed, not even the version, before it verifies, so
    // that tampering cannot pass for version skew.
    if (!HelloFrame.macValid(frame, chainKey)) {
      int version = frame[Protocol.HEADER_LENGTH] & 0xFF;
      return new Refused(FailureReason.AUTH, "hello MAC does not verify (different mesh seed, or tampered"
          + (version != Protocol.VERSION ? "; its version byte says " + version : "") + ")", false);
    }
    HelloFrame hello;
    try {
      hello = HelloFrame.parse(frame);
    } catch (ProtocolException e) {
      return new Refused(e.reason(), e.getMessage(), false);
    }
    long epoch = state.epochFor(d);
    // A node started without a known start epoch vouches from its first hello on (one epoch
    // earlier counts as now: a peer's clock may lag by up to an epoch).
    replays.startingAt(state.epoch() - 1);
    if (!replays.firstSeen(hello.clientRandom(), epoch)) {
      return new Refused(FailureReason.REPLAY, epoch < replays.firstEpoch()
          ? "hello of epoch " + epoch + ", before this process started (epoch " + replays.firstEpoch()
          + "): it may have been accepted before a restart"
          : "client random already used", false);
    }
    if (!services.contains(hello.service())) {
      return new Refused(FailureReason.UNKNOWN_SERVICE, "no service named '" + hello.service() + "'", true);
    }
    byte[] serverRandom = new byte[Protocol.RANDOM_LENGTH];
    random.nextBytes(serverRandom);
    byte[] accept = AcceptFrame.encode(state.tc(), serverRandom, frame, state.chainKey(KeyRole.CURRENT));
    return new Accepted(hello, accept,
        new TrafficKeys(hello.clientRandom(), serverRandom, hello.suite(), provider));
  }
}
