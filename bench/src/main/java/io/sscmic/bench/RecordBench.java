package io.sscmic.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.handshake.Direction;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.PeerVerifier;
import io.sscmic.gateway.handshake.ReplayFilter;
import io.sscmic.gateway.record.KeySynRecordHandler;
import io.sscmic.gateway.record.RecordFailure;
import io.sscmic.gateway.record.RecordOpener;
import io.sscmic.gateway.record.RecordSealer;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.pki.NodeCertificates;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The v2 record path (docs/PROTOCOL-v2.md), sealed by one side and opened by the other, to compare
 * with {@link FrameBench} (v1) in the same run:
 * <ul>
 *   <li>{@code sealOpenRecord}: RecordSealer.sealData into a pooled heap ByteBuf, then
 *       RecordOpener.open, as the handler calls them (key lookup by D, nonce, AEAD, header);</li>
 *   <li>{@code throughHandlers}: the whole KeySynRecordHandler pair on two EmbeddedChannels after
 *       a real handshake: write a ByteBuf into the client, move the sealed record to the server,
 *       read the plaintext ByteBuf out (adds the pipeline, the decoder and buffer management).</li>
 * </ul>
 * {@code java -jar bench/target/benchmarks.jar 'RecordBench|FrameBench' -p size=100,16384 -wi 2 -i 3 -f 1}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class RecordBench {
  @Param({"AES_256_GCM"})
  public CipherSuite suite;

  @Param({"100", "16384"})
  public int size;

  private RecordSealer sealer;
  private RecordOpener opener;
  private ByteBuf payload;
  private byte[] plain;
  private EmbeddedChannel client;
  private EmbeddedChannel server;

  @Setup(Level.Trial)
  public void setUp() {
    KeySchedule schedule = new KeySchedule();
    schedule.install(ChainAnchor.genesis(new byte[32]).stateAt(100));
    byte[] secret = new byte[32];
    sealer = new RecordSealer(schedule, secret, suite, AeadProvider.defaultProvider(), Direction.CLIENT_TO_SERVER);
    opener = new RecordOpener(schedule, secret, suite, AeadProvider.defaultProvider(), Direction.CLIENT_TO_SERVER);
    payload = Unpooled.wrappedBuffer(new byte[size]);
    plain = new byte[size];

    SecureRandom random = new SecureRandom();
    MeshCa ca = MeshCa.create("bench", Duration.ofDays(1), random);
    PeerVerifier verifier = new PeerVerifier(ca.certificate());
    client = new EmbeddedChannel(KeySynRecordHandler.initiator(settings(ca, "alpha", verifier, schedule, random),
        "beta", suite));
    server = new EmbeddedChannel(KeySynRecordHandler.responder(settings(ca, "beta", verifier, schedule, random)));
    for (int i = 0; i < 4; i++) {
      move(client, server);
      move(server, client);
    }
    if (!((KeySynRecordHandler) server.pipeline().first()).isEstablished()) {
      throw new IllegalStateException("handshake did not complete");
    }
  }

  private static HandshakeSettings settings(MeshCa ca, String id, PeerVerifier verifier, KeySchedule schedule,
                                            SecureRandom random) {
    KeyPair kp = NodeCertificates.newKeyPair(random);
    LocalIdentity identity = new LocalIdentity(id, ca.issueNode(NodeCertificates.csr(id, kp), id,
        Duration.ofHours(1)), kp.getPrivate());
    return HandshakeSettings.of(identity, verifier, schedule).withReplayFilter(new ReplayFilter(0, 0, 1000));
  }

  private static void move(EmbeddedChannel from, EmbeddedChannel to) {
    ByteBuf b;
    while ((b = from.readOutbound()) != null) {
      to.writeInbound(b);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }

  @Benchmark
  public int sealOpenRecord() throws RecordFailure {
    ByteBuf sealed = sealer.sealData(ByteBufAllocator.DEFAULT, payload);
    try {
      return opener.open(sealed.array(), sealed.arrayOffset() + sealed.readerIndex(), sealed.readableBytes(), plain, 0);
    } finally {
      sealed.release();
    }
  }

  @Benchmark
  public int throughHandlers() {
    client.writeAndFlush(payload.retainedDuplicate());
    ByteBuf sealed = client.readOutbound();
    server.writeInbound(sealed);
    ByteBuf out = server.readInbound();
    int n = out.readableBytes();
    out.release();
    return n;
  }
}
