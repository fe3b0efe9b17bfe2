package io.sscmic.bench;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.Direction;
import io.sscmic.gateway.frame.FrameOpener;
import io.sscmic.gateway.frame.FrameSealer;
import io.sscmic.gateway.frame.FrameType;
import io.sscmic.gateway.frame.ProtocolException;
import io.sscmic.gateway.frame.TrafficKeys;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeySchedule;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole frame path of the gateway, as the relay runs it: key-state lookup, header, nonce,
 * AEAD, and the buffer copies, for a DATA frame sealed by one side and opened by the other.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class FrameBench {
  @Param({"AES_256_GCM"})
  public CipherSuite suite;

  @Param({"1024", "16384"})
  public int size;

  private FrameSealer sealer;
  private FrameOpener opener;
  private Buffer payload;

  @Setup
  public void setUp() {
    KeySchedule schedule = new KeySchedule();
    schedule.install(ChainAnchor.genesis(new byte[32]).stateAt(100));
    TrafficKeys keys = new TrafficKeys(new byte[32], new byte[32], suite, AeadProvider.defaultProvider());
    sealer = new FrameSealer(schedule, keys, Direction.CLIENT_TO_SERVER);
    opener = new FrameOpener(schedule, keys, Direction.CLIENT_TO_SERVER);
    payload = Buffer.buffer(new byte[size]);
  }

  @Benchmark
  public int sealOpenDataFrame() throws ProtocolException {
    byte[] frame = sealer.data(payload, 0, size).getBytes();
    int d = ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF);
    return opener.open(d, FrameType.DATA, frame).length;
  }
}
