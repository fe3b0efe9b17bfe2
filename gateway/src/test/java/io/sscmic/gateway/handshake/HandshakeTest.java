package io.sscmic.gateway.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The v2 handshake state machines without any socket: the good path and every refusal, with its reason. */
class HandshakeTest {
  private static final TestIdentities MESH = new TestIdentities("hs");
  private static final LocalIdentity ALPHA = MESH.node("alpha");
  private static final LocalIdentity BETA = MESH.node("beta");
  private static final long N = TestIdentities.EPOCH;

  private static HandshakeSettings alpha(long epoch) {
    return MESH.settings(ALPHA, MESH.schedule(epoch));
  }

  /** Beta has been running for a while: its replay filter started a few epochs ago. */
  private static HandshakeSettings beta(long epoch) {
    return MESH.settings(BETA, MESH.schedule(epoch)).withReplayFilter(new ReplayFilter(epoch - 5, 0, 1000));
  }

  private static AlertReason refusal(ThrowingStep step) {
    return assertThrows(HandshakeFailure.class, step::run).reason();
  }

  @FunctionalInterface
  interface ThrowingStep {
    void run() throws Exception;
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void bothSidesVerifyEachOtherAndAgreeOnTheConnectionSecret(CipherSuite suite) throws Exception {
    Initiator client = new Initiator(alpha(N), "beta", suite);
    Responder server = new Responder(beta(N));
    byte[] resp = server.onInit(client.start());
    Established c = client.onResponse(resp);
    Established s = server.onFinish(c.finishRecord());
    assertEquals("beta", c.peerNodeId());
    assertEquals("alpha", s.peerNodeId());
    assertEquals(BETA.certificate(), c.peerCertificate());
    assertEquals(ALPHA.certificate(), s.peerCertificate());
    assertEquals(suite, c.suite());
    assertEquals(suite, s.suite());
    assertEquals(Wire.VERSION, s.version());
    assertEquals(N, s.initEpoch());
    assertArrayEquals(c.connectionSecret(), s.connectionSecret());
    assertNull(s.finishRecord());
  }

  @Test
  void initsSealedOneEpochEitherSideOfTheResponderAreAccepted() throws Exception {
    for (long clientEpoch : new long[] {N - 1, N, N + 1}) {
      Initiator client = new Initiator(alpha(clientEpoch), "beta", CipherSuite.AES_256_GCM);
      Responder server = new Responder(beta(N));
      Established c = client.onResponse(server.onInit(client.start()));
      assertEquals(clientEpoch, server.onFinish(c.finishRecord()).initEpoch());
    }
  }

  @Test
  void initsTwoEpochsAwayAreStaleOrFuture() {
    assertEquals(AlertReason.STALE_EPOCH, refusal(() -> new Responder(beta(N))
        .onInit(new Initiator(alpha(N - 2), "beta", CipherSuite.AES_256_GCM).start())));
    assertEquals(AlertReason.FUTURE_EPOCH, refusal(() -> new Responder(beta(N))
        .onInit(new Initiator(alpha(N + 2), "beta", CipherSuite.AES_256_GCM).start())));
  }

  @Test
  void aCertificateHolderWithoutTheChainKeyStopsAtTheMac() {
    TestIdentities otherChain = new TestIdentities("other");
    HandshakeSettings outsider = MESH.settings(ALPHA, otherChain.schedule(N));
    assertEquals(AlertReason.BAD_MAC, refusal(() -> new Responder(beta(N))
        .onInit(new Initiator(outsider, "beta", CipherSuite.AES_256_GCM).start())));
  }

  @Test
  void theMacIsCheckedBeforeTheDestinationAndVersionBeforeTheMac() throws Exception {
    TestIdentities otherChain = new TestIdentities("other");
    HandshakeSettings outsider = MESH.settings(ALPHA, otherChain.schedule(N));
    // An outsider learns nothing about which node it reached: bad_mac, not wrong_destination.
    assertEquals(AlertReason.BAD_MAC, refusal(() -> new Responder(beta(N))
        .onInit(new Initiator(outsider, "gamma", CipherSuite.AES_256_GCM).start())));
    KeySchedule s = MESH.schedule(N);
    byte[] init = Init.encode(s.current().tc(), new int[] {3}, CipherSuite.AES_256_GCM, new byte[32], new byte[32],
        "alpha", "beta", new byte[32]);
    assertEquals(AlertReason.UNSUPPORTED, refusal(() -> new Responder(beta(N)).onInit(init)));
  }

  @Test
  void anUnknownCipherIsUnsupportedBeforeTheMacIsLookedAt() throws Exception {
    byte[] init = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM).start();
    init[Wire.HEADER_LENGTH + 3] = 9; // the cipher byte after msg, n = 1, version
    assertEquals(AlertReason.UNSUPPORTED, refusal(() -> new Responder(beta(N)).onInit(init)));
  }

  @Test
  void anInitForAnotherNodeIsRefusedThere() {
    assertEquals(AlertReason.WRONG_DESTINATION, refusal(() -> new Responder(beta(N))
        .onInit(new Initiator(alpha(N), "gamma", CipherSuite.AES_256_GCM).start())));
  }

  @Test
  void aReplayedInitIsRefusedAndSoIsOneFromBeforeARestart() throws Exception {
    HandshakeSettings server = beta(N);
    byte[] init = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM).start();
    new Responder(server).onInit(init);
    assertEquals(AlertReason.REPLAY, refusal(() -> new Responder(server).onInit(init)));
    // After a restart the filter is empty, but it starts at the node's epoch: the old INIT is stale.
    KeySchedule later = MESH.schedule(N + 1);
    HandshakeSettings restarted = MESH.settings(BETA, later);
    assertEquals(AlertReason.STALE_EPOCH, refusal(() -> new Responder(restarted).onInit(init)));
  }

  @Test
  void garbageAndTruncatedInitsAreMalformed() throws Exception {
    byte[] init = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM).start();
    byte[] shortInit = java.util.Arrays.copyOf(init, init.length - 1);
    assertEquals(AlertReason.MALFORMED, refusal(() -> new Responder(beta(N)).onInit(shortInit)));
    byte[] garbage = new byte[Wire.HEADER_LENGTH + Init.MIN_BODY];
    TestIdentities.RANDOM.nextBytes(garbage);
    garbage[Wire.HEADER_LENGTH] = 1;
    garbage[Wire.HEADER_LENGTH + 1] = (byte) 200;
    assertEquals(AlertReason.MALFORMED, refusal(() -> new Responder(beta(N)).onInit(garbage)));
  }

  @Test
  void aLowOrderEphemeralKeyIsMalformedEvenWithAValidMac() {
    KeySchedule s = MESH.schedule(N);
    byte[] init = Init.encode(s.current().tc(), Wire.SUPPORTED_VERSIONS, CipherSuite.AES_256_GCM, new byte[32],
        new byte[32], "alpha", "beta", s.current().chainKey(KeyRole.CURRENT));
    assertEquals(AlertReason.MALFORMED, refusal(() -> new Responder(beta(N)).onInit(init)));
  }

  @Test
  void aMemberWithoutAValidCertificateIsRefusedOnBothSides() throws Exception {
    TestIdentities foreignCa = new TestIdentities("foreign");
    // Client with a certificate from another CA but this mesh's chain key: refused at FINISH.
    HandshakeSettings client = MESH.settings(foreignCa.node("alpha"), MESH.schedule(N));
    Initiator i = new Initiator(client, "beta", CipherSuite.AES_256_GCM);
    Responder r = new Responder(beta(N));
    Established c = i.onResponse(r.onInit(i.start()));
    assertEquals(AlertReason.BAD_CERTIFICATE, refusal(() -> r.onFinish(c.finishRecord())));
    assertNotNull(r.connectionSecret(), "a refused FINISH still lets the server seal its ALERT");
    // Server with such a certificate: the client refuses RESP.
    HandshakeSettings server = MESH.settings(foreignCa.node("beta"), MESH.schedule(N));
    Initiator i2 = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    byte[] resp = new Responder(server).onInit(i2.start());
    assertEquals(AlertReason.BAD_CERTIFICATE, refusal(() -> i2.onResponse(resp)));
    assertNotNull(i2.sealedAlert(AlertReason.BAD_CERTIFICATE), "the client tells the server under its handshake key");
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    Clock tomorrow = Clock.fixed(Instant.now().plus(Duration.ofDays(2)), ZoneOffset.UTC);
    HandshakeSettings client = new HandshakeSettings(ALPHA, new PeerVerifier(MESH.ca.certificate(),
        RevocationCheck.NONE, tomorrow), MESH.schedule(N), alpha(N).replayFilter(), alpha(N).provider(),
        TestIdentities.RANDOM, HandshakeSettings.DEFAULT_TIMEOUT);
    Initiator i = new Initiator(client, "beta", CipherSuite.AES_256_GCM);
    byte[] resp = new Responder(beta(N)).onInit(i.start());
    assertEquals(AlertReason.BAD_CERTIFICATE, refusal(() -> i.onResponse(resp)));
  }

  @Test
  void aCertificateForAnotherNodeIsTheWrongPeer() throws Exception {
    LocalIdentity gamma = MESH.node("gamma");
    // The server answers as beta with gamma's certificate.
    HandshakeSettings impostor = MESH.settings(new LocalIdentity("beta", gamma.certificate(), gamma.privateKey()),
        MESH.schedule(N));
    Initiator i = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    byte[] resp = new Responder(impostor).onInit(i.start());
    assertEquals(AlertReason.WRONG_PEER, refusal(() -> i.onResponse(resp)));
    // A member claims to be alpha in INIT but proves gamma: a member cannot pose as another node.
    HandshakeSettings poser = MESH.settings(new LocalIdentity("alpha", gamma.certificate(), gamma.privateKey()),
        MESH.schedule(N));
    Initiator i2 = new Initiator(poser, "beta", CipherSuite.AES_256_GCM);
    Responder r2 = new Responder(beta(N));
    Established c = i2.onResponse(r2.onInit(i2.start()));
    assertEquals(AlertReason.WRONG_PEER, refusal(() -> r2.onFinish(c.finishRecord())));
  }

  @Test
  void aCertificateWithoutItsPrivateKeyFailsTheSignature() throws Exception {
    LocalIdentity other = MESH.node("beta");
    HandshakeSettings thief = MESH.settings(new LocalIdentity("beta", BETA.certificate(), other.privateKey()),
        MESH.schedule(N));
    Initiator i = new Initiator(alpha(N), "beta", CipherSuite.CHACHA20_POLY1305);
    byte[] resp = new Responder(thief).onInit(i.start());
    assertEquals(AlertReason.BAD_SIGNATURE, refusal(() -> i.onResponse(resp)));
    HandshakeSettings clientThief = MESH.settings(new LocalIdentity("alpha", ALPHA.certificate(), other.privateKey()),
        MESH.schedule(N));
    Initiator i2 = new Initiator(clientThief, "beta", CipherSuite.AES_256_GCM);
    Responder r2 = new Responder(beta(N));
    Established c = i2.onResponse(r2.onInit(i2.start()));
    assertEquals(AlertReason.BAD_SIGNATURE, refusal(() -> r2.onFinish(c.finishRecord())));
  }

  @Test
  void aRevokedClientIsRefused() throws Exception {
    HandshakeSettings server = new HandshakeSettings(BETA, new PeerVerifier(MESH.ca.certificate(),
        (id, cert) -> id.equals("alpha"), Clock.systemUTC()), MESH.schedule(N), beta(N).replayFilter(),
        beta(N).provider(), TestIdentities.RANDOM, HandshakeSettings.DEFAULT_TIMEOUT);
    Initiator i = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    Responder r = new Responder(server);
    Established c = i.onResponse(r.onInit(i.start()));
    assertEquals(AlertReason.REVOKED, refusal(() -> r.onFinish(c.finishRecord())));
  }

  @Test
  void tamperedSealedPartsAreBadRecords() throws Exception {
    Initiator i = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    Responder r = new Responder(beta(N));
    byte[] resp = r.onInit(i.start());
    resp[resp.length - 1] ^= 1;
    assertEquals(AlertReason.BAD_RECORD, refusal(() -> i.onResponse(resp)));

    Initiator i2 = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    Responder r2 = new Responder(beta(N));
    byte[] resp2 = r2.onInit(i2.start());
    resp2[Wire.HEADER_LENGTH + 40] ^= 1; // the server random: clear, but AAD of the sealed part
    assertEquals(AlertReason.BAD_RECORD, refusal(() -> i2.onResponse(resp2)));

    Initiator i3 = new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM);
    Responder r3 = new Responder(beta(N));
    byte[] finish = i3.onResponse(r3.onInit(i3.start())).finishRecord();
    finish[Wire.HEADER_LENGTH + 10] ^= 1;
    assertEquals(AlertReason.BAD_RECORD, refusal(() -> r3.onFinish(finish)));
  }

  @Test
  void withoutAKeyStateNothingStarts() {
    HandshakeSettings notReady = MESH.settings(ALPHA, new KeySchedule());
    assertEquals(AlertReason.NOT_READY, refusal(() -> new Initiator(notReady, "beta", CipherSuite.AES_256_GCM).start()));
    HandshakeSettings serverNotReady = MESH.settings(BETA, new KeySchedule());
    assertEquals(AlertReason.NOT_READY, refusal(() -> new Responder(serverNotReady)
        .onInit(new Initiator(alpha(N), "beta", CipherSuite.AES_256_GCM).start())));
  }
}
