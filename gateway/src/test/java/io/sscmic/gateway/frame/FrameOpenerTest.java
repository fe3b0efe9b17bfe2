package io.sscmic.gateway.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Frames delayed in flight: at a 100 ms interval a frame that spent up to {@link KeySchedule#GRACE}
 * between sealer and opener opens; a later one is refused as stale, with the epochs in the message.
 */
class FrameOpenerTest {
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final ChainAnchor CHAIN = ChainAnchor.genesis("a mesh seed of at least 32 bytes!!".getBytes());
  private final TrafficKeys keys = new TrafficKeys(new byte[32], new byte[32], CipherSuite.AES_256_GCM,
      AeadProvider.JDK);

  /** One node's schedule on its own clock, moved by the test. */
  private static KeySchedule node(AtomicLong now) {
    KeySchedule s = new KeySchedule(new EpochClock(Instant.ofEpochMilli(0), INTERVAL, now::get));
    s.install(CHAIN.stateAt(now.get() / INTERVAL.toMillis()));
    return s;
  }

  /** Moves the receiver's clock one tick at a time, as a running node's KeySyn verticle would. */
  private static void tick(KeySchedule receiver, AtomicLong clock, long millis) {
    for (long t = 0; t < millis; t += INTERVAL.toMillis()) {
      clock.addAndGet(INTERVAL.toMillis());
      receiver.current();
    }
  }

  /** Two nodes whose clocks agree; the test moves the receiver's on while a frame is "in flight". */
  private final AtomicLong receiverClock = new AtomicLong(1_000_000);
  private final KeySchedule receiver = node(receiverClock);
  private final FrameSealer sealer = new FrameSealer(node(new AtomicLong(1_000_000)), keys, Direction.CLIENT_TO_SERVER);
  private final FrameOpener opener = new FrameOpener(receiver, keys, Direction.CLIENT_TO_SERVER);

  @Test
  void aFrameDelayedLessThanTheGraceWindowOpensWithItsOldKey() throws Exception {
    byte[] frame = sealer.data(Buffer.buffer("sealed at epoch 10000"), 0, 21).getBytes();
    tick(receiver, receiverClock, 700);
    assertEquals(7, (short) (receiver.current().tc() - FrameHeader.d(frame)), "7 epochs in flight");
    assertArrayEquals("sealed at epoch 10000".getBytes(StandardCharsets.UTF_8),
        opener.open(FrameHeader.d(frame), FrameType.DATA, frame));
  }

  @Test
  void aFrameDelayedBeyondTheGraceWindowIsRefusedAsStale() {
    byte[] frame = sealer.data(Buffer.buffer("too late"), 0, 8).getBytes();
    tick(receiver, receiverClock, 1_200);
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> opener.open(FrameHeader.d(frame), FrameType.DATA, frame));
    assertEquals(FailureReason.STALE_EPOCH, e.reason());
    assertEquals("stale epoch: frame epoch header 10000, local tc 10012", e.getMessage());
  }
}
