package io.sscmic.bench;

import io.sscmic.gateway.cipher.AeadAuthenticationException;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
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
 * One frame's AEAD work: seal (sender) and seal+open (the sender's and the receiver's work
 * together), per provider, cipher and frame size. Throughput in operations per second; MB/s is
 * ops/s x size (bench/aead.sh prints it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AeadBench {
  @Param({"JDK", "BOUNCY_CASTLE"})
  public AeadProvider provider;

  @Param({"AES_256_GCM", "CHACHA20_POLY1305"})
  public CipherSuite suite;

  @Param({"1024", "16384"})
  public int size;

  private FrameAead sender;
  private FrameAead receiver;
  private final byte[] aad = {0, 1, 1, 0x40, 0x10};
  private final byte[] nonce = new byte[FrameAead.NONCE_LENGTH];
  private byte[] plain;
  private byte[] sealed;
  private byte[] opened;
  private long seq;

  @Setup
  public void setUp() {
    byte[] key = new byte[FrameAead.KEY_LENGTH];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) i;
    }
    sender = provider.create(suite, key);
    receiver = provider.create(suite, key);
    plain = new byte[size];
    sealed = new byte[size + FrameAead.TAG_LENGTH];
    opened = new byte[size];
  }

  private void nextNonce() {
    long s = seq++;
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (s >>> (56 - 8 * i));
    }
  }

  @Benchmark
  public int seal() {
    nextNonce();
    return sender.seal(nonce, aad, 0, aad.length, plain, 0, size, sealed, 0);
  }

  @Benchmark
  public int sealOpen() throws AeadAuthenticationException {
    nextNonce();
    int n = sender.seal(nonce, aad, 0, aad.length, plain, 0, size, sealed, 0);
    return receiver.open(nonce, aad, 0, aad.length, sealed, 0, n, opened, 0);
  }
}
