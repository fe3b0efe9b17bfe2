package io.sscmic.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.AcceptFrame;
import io.sscmic.gateway.frame.FailureReason;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.gateway.frame.Protocol;
import io.sscmic.gateway.frame.RefuseFrame;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The client handshake without a socket: its HELLO, then each kind of answer a server (or someone
 * on the path) can give, and the verdict the client draws from it.
 */
class ClientHandshakeTest {
  private static final long EPOCH = 500;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final KeySchedule clientKeys = at(seed(1), EPOCH);
  private final ClientHandshake client = new ClientHandshake(clientKeys, CipherSuite.CHACHA20_POLY1305,
      AeadProvider.JDK, RANDOM, "echo");

  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  private static KeySchedule at(byte[] seed, long epoch) {
    KeySchedule s = new KeySchedule();
    s.install(KeyState.at(0, seed, epoch));
    return s;
  }

  /** What a server of mesh {@code seed} at {@code epoch} answers to {@code hello}. */
  private static byte[] accept(byte[] seed, long epoch, byte[] hello) {
    KeyState s = at(seed, epoch).current();
    byte[] serverRandom = new byte[Protocol.RANDOM_LENGTH];
    RANDOM.nextBytes(serverRandom);
    return AcceptFrame.encode(s.tc(), serverRandom, hello, s.chainKey(KeyRole.CURRENT));
  }

  private FailureReason failure(byte[] answer) {
    return assertInstanceOf(ClientHandshake.Failed.class, client.answer(answer)).reason();
  }

  @Test
  void theHelloNamesTheServiceAndCipherUnderTheCurrentEpoch() throws Exception {
    HelloFrame hello = HelloFrame.parse(client.hello());
    assertEquals("echo", hello.service());
    assertEquals(CipherSuite.CHACHA20_POLY1305, hello.suite());
    assertEquals(clientKeys.current().tc(), hello.d());
    assertEquals(true, hello.macValid(clientKeys.current().chainKey(KeyRole.CURRENT)));
  }

  @Test
  void aValidAcceptEstablishesTheStream() {
    assertInstanceOf(ClientHandshake.Established.class, client.answer(accept(seed(1), EPOCH, client.hello())));
    ClientHandshake other = new ClientHandshake(clientKeys, CipherSuite.AES_256_GCM, AeadProvider.JDK, RANDOM, "echo");
    assertInstanceOf(ClientHandshake.Established.class, other.answer(accept(seed(1), EPOCH + 1, other.hello())),
        "a server one epoch ahead");
  }

  @Test
  void anAcceptWithABadMacIsAuth() {
    byte[] accept = accept(seed(1), EPOCH, client.hello());
    accept[accept.length - 1] ^= 1;
    assertEquals(FailureReason.AUTH, failure(accept));
  }

  @Test
  void anAcceptFromAnotherMeshIsAuth() {
    assertEquals(FailureReason.AUTH, failure(accept(seed(9), EPOCH, client.hello())));
  }

  @Test
  void anAcceptWithATamperedServerRandomIsAuth() {
    byte[] accept = accept(seed(1), EPOCH, client.hello());
    accept[Protocol.HEADER_LENGTH + 1] ^= 1;
    assertEquals(FailureReason.AUTH, failure(accept));
  }

  @Test
  void anAcceptRecordedForAnotherHelloIsAuth() {
    ClientHandshake earlier = new ClientHandshake(clientKeys, CipherSuite.CHACHA20_POLY1305, AeadProvider.JDK,
        RANDOM, "echo");
    assertEquals(FailureReason.AUTH, failure(accept(seed(1), EPOCH, earlier.hello())));
  }

  @Test
  void anAcceptTwoEpochsBehindIsStale() {
    assertEquals(FailureReason.STALE_EPOCH, failure(accept(seed(1), EPOCH - 2, client.hello())));
  }

  @Test
  void anAcceptTwoEpochsAheadIsFuture() {
    assertEquals(FailureReason.FUTURE_EPOCH, failure(accept(seed(1), EPOCH + 2, client.hello())));
  }

  /**
   * Issue 14 item 11: REFUSE is unauthenticated, so whatever it claims, the client counts
   * peer_refused; the claim is only in the detail (the log).
   */
  @Test
  void aRefuseIsCountedAsPeerRefusedWhateverItClaims() {
    for (FailureReason claimed : new FailureReason[] {FailureReason.AUTH, FailureReason.UNSUPPORTED,
        FailureReason.OVERLOADED}) {
      ClientHandshake.Failed f = assertInstanceOf(ClientHandshake.Failed.class,
          client.answer(RefuseFrame.encode(clientKeys.current().tc(), claimed, "text\nforged")));
      assertEquals(FailureReason.PEER_REFUSED, f.reason());
      assertEquals(true, f.detail().contains("saying " + claimed.label()), f.detail());
      assertEquals(false, f.detail().contains("\n"), "control characters are not logged");
    }
  }

  /** Issue 14 item 11: a tampered version byte in ACCEPT is tampering, not version skew. */
  @Test
  void anAcceptWithATamperedVersionIsAuthNotUnsupported() {
    byte[] accept = accept(seed(1), EPOCH, client.hello());
    accept[Protocol.HEADER_LENGTH] = 7;
    assertEquals(FailureReason.AUTH, failure(accept));
  }

  @Test
  void anythingButAcceptOrRefuseIsMalformed() {
    assertEquals(FailureReason.MALFORMED, failure(client.hello()), "a HELLO back");
    assertEquals(FailureReason.MALFORMED, failure(new byte[] {0, 0, 0x11}), "too short");
  }

  @Test
  void noHelloWithoutKeyState() {
    assertThrows(IllegalStateException.class, () -> new ClientHandshake(new KeySchedule(),
        CipherSuite.AES_256_GCM, AeadProvider.JDK, RANDOM, "echo"));
  }
}
