package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

/**
 * What a node brings to every v2 handshake: its identity, how it checks peers, its key schedule,
 * its replay filter (one per node, shared by its connections), the AEAD provider, a random source
 * and the handshake timeout. Create once per node.
 */
public record HandshakeSettings(LocalIdentity identity, PeerVerifier verifier, KeySchedule schedule,
                                ReplayFilter replayFilter, AeadProvider provider, SecureRandom random,
                                Duration handshakeTimeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  public HandshakeSettings {
    Objects.requireNonNull(identity);
    Objects.requireNonNull(verifier);
    Objects.requireNonNull(schedule);
    Objects.requireNonNull(replayFilter);
    Objects.requireNonNull(provider);
    Objects.requireNonNull(random);
    Objects.requireNonNull(handshakeTimeout);
  }

  /** Defaults: a replay filter starting at the schedule's current epoch, JDK AEADs, a 10 s timeout. */
  public static HandshakeSettings of(LocalIdentity identity, PeerVerifier verifier, KeySchedule schedule) {
    KeyState now = schedule.current();
    ReplayFilter filter = new ReplayFilter(now == null ? 0 : now.epoch(), schedule.retainedEpochs(),
        ReplayFilter.DEFAULT_MAX_ENTRIES);
    return new HandshakeSettings(identity, verifier, schedule, filter, AeadProvider.defaultProvider(),
        new SecureRandom(), DEFAULT_TIMEOUT);
  }

  public HandshakeSettings withTimeout(Duration timeout) {
    return new HandshakeSettings(identity, verifier, schedule, replayFilter, provider, random, timeout);
  }

  public HandshakeSettings withReplayFilter(ReplayFilter filter) {
    return new HandshakeSettings(identity, verifier, schedule, filter, provider, random, handshakeTimeout);
  }

  public HandshakeSettings withProvider(AeadProvider aeadProvider) {
    return new HandshakeSettings(identity, verifier, schedule, replayFilter, aeadProvider, random, handshakeTimeout);
  }
}
