package io.sscmic.gateway.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing (jqwik) of everything that parses bytes from the network before they are
 * authenticated: the frame decoder, the hello, the accept, and the frame opener. Every input must
 * end in frames or a {@link ProtocolException} with a reason; nothing else may escape, and the
 * decoder never holds more than one frame. Bounded for CI: 2000 tries a property
 * ({@code jqwik.tries.default} in junit-platform.properties, about 10 s in all). A longer run on
 * demand, for example a million tries a property with no per-test time limit:
 * <pre>
 * mvn -B -pl keysyn-verticle,admin-ui,gateway test -Dtest=FrameDecoderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Djqwik.tries.default=1000000 -Djunit.jupiter.execution.timeout.mode=disabled
 * </pre>
 */
class FrameDecoderFuzzTest {
  private static final Set<FailureReason> DECODER_REASONS = EnumSet.of(FailureReason.MALFORMED, FailureReason.OVERSIZE);
  private static final int MAX_FRAME = Protocol.HEADER_LENGTH + Protocol.MAX_PAYLOAD + Protocol.TAG_LENGTH;

  @Property
  void arbitraryBytesInArbitraryChunksGiveFramesOrAReason(@ForAll @Size(max = 40_000) byte[] input,
                                                          @ForAll @IntRange(min = 1, max = 9000) int chunk) {
    List<byte[]> frames = new ArrayList<>();
    FrameDecoder decoder = new FrameDecoder((d, type, frame) -> frames.add(frame));
    try {
      for (int off = 0; off < input.length; off += chunk) {
        decoder.feed(Buffer.buffer(input).getBuffer(off, Math.min(input.length, off + chunk)));
      }
    } catch (ProtocolException e) {
      assertTrue(DECODER_REASONS.contains(e.reason()), e.reason() + ": " + e.getMessage());
    }
    long consumed = frames.stream().mapToLong(f -> f.length).sum();
    assertTrue(consumed <= input.length);
    for (byte[] f : frames) {
      FrameType type = FrameType.fromCode(f[2] & 0xFF);
      int body = ((f[3] & 0xFF) << 8) | (f[4] & 0xFF);
      assertTrue(type != null && body >= type.minBody() && body <= type.maxBody() && f.length == 5 + body);
      assertTrue(f.length <= MAX_FRAME, "a frame within the protocol's bound");
    }
  }

  @Provide
  Arbitrary<List<byte[]>> validFrames() {
    Arbitrary<byte[]> frame = Combinators.combine(
            Arbitraries.integers().between(0, 0xFFFF),
            Arbitraries.of(FrameType.values()),
            Arbitraries.integers().between(0, 20_000))
        .as((d, type, len) -> {
          int body = Math.max(type.minBody(), Math.min(type.maxBody(), len));
          byte[] f = new byte[5 + body];
          f[0] = (byte) (d >> 8);
          f[1] = (byte) (int) d;
          f[2] = (byte) type.code();
          f[3] = (byte) (body >> 8);
          f[4] = (byte) body;
          for (int i = 5; i < f.length; i++) {
            f[i] = (byte) (i * 7 + d);
          }
          return f;
        });
    return frame.list().ofMaxSize(12);
  }

  @Property
  void validFramesSplitAnywhereComeOutWhole(@ForAll("validFrames") List<byte[]> sent,
                                            @ForAll @IntRange(min = 1, max = 20_000) int chunk) throws Exception {
    int total = sent.stream().mapToInt(f -> f.length).sum();
    Buffer stream = Buffer.buffer(total);
    sent.forEach(f -> stream.appendBytes(f));
    List<byte[]> got = new ArrayList<>();
    FrameDecoder decoder = new FrameDecoder((d, type, frame) -> got.add(frame));
    for (int off = 0; off < total; off += chunk) {
      decoder.feed(stream.getBuffer(off, Math.min(total, off + chunk)));
    }
    assertEquals(sent.size(), got.size());
    for (int i = 0; i < sent.size(); i++) {
      assertArrayEquals(sent.get(i), got.get(i));
    }
    assertTrue(!decoder.hasPartial());
  }

  @Property
  void anyHelloBodyParsesOrIsRefusedWithAReason(@ForAll @Size(max = 400) byte[] body) {
    byte[] frame = new byte[5 + body.length];
    frame[2] = (byte) FrameType.HELLO.code();
    frame[3] = (byte) (body.length >> 8);
    frame[4] = (byte) body.length;
    System.arraycopy(body, 0, frame, 5, body.length);
    try {
      HelloFrame hello = HelloFrame.parse(frame);
      // A parsed hello still has to prove itself: a random MAC never verifies.
      assertTrue(!hello.macValid(new byte[32]));
    } catch (ProtocolException e) {
      assertTrue(e.reason() != null && e.getMessage() != null);
    }
  }

  @Property
  void arbitraryFramesNeverOpenAndAlwaysSayWhy(@ForAll @IntRange(min = 0, max = 0xFFFF) int d,
                                              @ForAll @Size(min = 1, max = 2000) byte[] body) throws Exception {
    KeySchedule schedule = new KeySchedule();
    schedule.install(ChainAnchor.genesis(new byte[32]).stateAt(1000));
    TrafficKeys keys = new TrafficKeys(new byte[32], new byte[32], CipherSuite.AES_256_GCM, AeadProvider.JDK);
    FrameOpener opener = new FrameOpener(schedule, keys, Direction.CLIENT_TO_SERVER);
    int len = Math.max(Protocol.TAG_LENGTH, body.length);
    byte[] frame = new byte[5 + len];
    frame[0] = (byte) (d >> 8);
    frame[1] = (byte) d;
    frame[2] = (byte) FrameType.DATA.code();
    frame[3] = (byte) (len >> 8);
    frame[4] = (byte) len;
    System.arraycopy(body, 0, frame, 5, Math.min(body.length, len));
    try {
      opener.open(d, FrameType.DATA, frame);
      throw new AssertionError("a forged frame opened");
    } catch (ProtocolException e) {
      assertTrue(EnumSet.of(FailureReason.AUTH, FailureReason.STALE_EPOCH, FailureReason.FUTURE_EPOCH)
          .contains(e.reason()), e.reason().toString());
    }
  }
}
