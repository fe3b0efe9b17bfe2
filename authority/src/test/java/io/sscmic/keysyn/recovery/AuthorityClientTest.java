package io.sscmic.keysyn.recovery;

import io.sscmic.keysyn.pki.NodeCertificates;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.KeySynVerticle;
import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.keysyn.recovery.RecoveryCrypto;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Enrollment and key recovery against a real authority over HTTPS on loopback. */
class AuthorityClientTest {
  static final byte[] SEED = "authority test mesh seed, 32 bytes or more".getBytes();
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private final SecureRandom random = new SecureRandom();
  private Vertx vertx;
  private MeshCa ca;
  private EnrollmentTokens tokens;
  private EpochClock clock;
  private AuthorityVerticle authority;

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static Throwable failure(Future<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(f));
    return e.getCause();
  }

  static AuthorityVerticle startAuthority(Vertx vertx, MeshCa ca, EnrollmentTokens tokens, EpochClock clock,
                                          boolean method1, SecureRandom random) throws Exception {
    return startAuthority(vertx, ca, tokens, clock, method1, random, Duration.ofHours(24));
  }

  static AuthorityVerticle startAuthority(Vertx vertx, MeshCa ca, EnrollmentTokens tokens, EpochClock clock,
                                          boolean method1, SecureRandom random, Duration validity) throws Exception {
    return startAuthority(vertx, ca, tokens, clock, method1, random, validity,
        io.sscmic.authority.ca.Revocations.none());
  }

  static AuthorityVerticle startAuthority(Vertx vertx, MeshCa ca, EnrollmentTokens tokens, EpochClock clock,
                                          boolean method1, SecureRandom random, Duration validity,
                                          io.sscmic.authority.ca.Revocations revocations) throws Exception {
    return startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), validity, method1), random, revocations, null, null);
  }

  /** An authority with these options; {@code serverCert} and {@code serverKey} null for a proper authority certificate. */
  static AuthorityVerticle startAuthority(Vertx vertx, MeshCa ca, EnrollmentTokens tokens, EpochClock clock,
                                          AuthorityVerticle.Options options, SecureRandom random,
                                          io.sscmic.authority.ca.Revocations revocations,
                                          X509Certificate serverCert, java.security.PrivateKey serverKey)
      throws Exception {
    return startAuthority(vertx, ca, tokens, clock, options, random, revocations, serverCert, serverKey,
        io.sscmic.authority.ca.IssuedCertificates.inMemory());
  }

  /** The same with the issued-certificates record {@code issued} (shared by replicas on etcd). */
  static AuthorityVerticle startAuthority(Vertx vertx, MeshCa ca, EnrollmentTokens tokens, EpochClock clock,
                                          AuthorityVerticle.Options options, SecureRandom random,
                                          io.sscmic.authority.ca.Revocations revocations,
                                          X509Certificate serverCert, java.security.PrivateKey serverKey,
                                          io.sscmic.authority.ca.IssuedCertificates issued)
      throws Exception {
    if (serverCert == null) {
      KeyPair serverKeys = NodeCertificates.newKeyPair(random);
      serverCert = ca.issueAuthority(serverKeys.getPublic(), List.of("127.0.0.1", "localhost"), Duration.ofDays(30));
      serverKey = serverKeys.getPrivate();
    }
    KeySchedule schedule = new KeySchedule();
    await(vertx.deployVerticle(new KeySynVerticle("authority", clock, schedule, ChainAnchor.genesis(SEED))));
    AuthorityVerticle a = new AuthorityVerticle(options, ca, serverCert, serverKey, tokens, schedule, clock,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), revocations, issued);
    await(vertx.deployVerticle(a));
    return a;
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    ca = MeshCa.create("test", Duration.ofDays(365), random);
    byte[] tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    tokens = new EnrollmentTokens(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), INTERVAL);
    authority = startAuthority(vertx, ca, tokens, clock, true, random);
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  private AuthorityClient client(String node) {
    return new AuthorityClient(vertx, "127.0.0.1", authority.port(), ca.certificate(), node, random);
  }

  private String token(String node) {
    return tokens.issue(node, Duration.ofMinutes(10), Instant.now(), random);
  }

  @Test
  void anEnrolledNodeRecoversTheSameStateAsANodeThatNeverStopped() throws Exception {
    AuthorityClient c = client("n1");
    NodeIdentity id = await(c.enroll(token("n1")));
    assertEquals("n1", NodeCertificates.nodeId(id.certificate()));
    assertTrue(id.expiry().isAfter(Instant.now().plus(Duration.ofHours(23))));
    KeyState recovered = await(c.recover(clock)).state();
    KeyState neverStopped = ChainAnchor.genesis(SEED).stateAt(recovered.epoch());
    assertEquals(clock.currentEpoch(), recovered.epoch(), 1.0);
    for (KeyRole r : KeyRole.values()) {
      assertArrayEquals(neverStopped.chainKey(r), recovered.chainKey(r), r.name());
    }
    assertEquals(1L, authority.outcomes().get("recover.ok"));
    assertTrue(authority.lastRecovery().containsKey("n1"));
  }

  @Test
  void methodOneGivesTheEpochAndTheSeedGivesTheSameState() throws Exception {
    AuthorityClient c = client("n1");
    await(c.enroll(token("n1")));
    long epoch = await(c.epoch(clock));
    KeyState byMethod1 = ChainAnchor.genesis(SEED).stateAt(epoch);
    KeyState byMethod2 = await(c.recover(clock)).state();
    KeyState later = byMethod2.epoch() == epoch ? byMethod2 : ChainAnchor.genesis(SEED).stateAt(byMethod2.epoch());
    assertArrayEquals(ChainAnchor.genesis(SEED).stateAt(later.epoch()).chainKey(KeyRole.CURRENT),
        later.chainKey(KeyRole.CURRENT));
    assertEquals(clock.currentEpoch(), byMethod1.epoch(), 1.0);
  }

  /**
   * A revoked node is refused at recovery and renewal; a new enrollment token re-admits it (with a
   * new key), while the certificate it held before stays refused.
   */
  @Test
  void aRevokedNodeIsRefusedAtRecoveryAndRenewalUntilANewTokenReadmitsIt() throws Exception {
    io.sscmic.authority.ca.Revocations revoked = io.sscmic.authority.ca.Revocations.none();
    AuthorityVerticle a = startAuthority(vertx, ca, tokens, clock, true, random, Duration.ofHours(24), revoked);
    AuthorityClient n1 = new AuthorityClient(vertx, "127.0.0.1", a.port(), ca.certificate(), "n1", random);
    NodeIdentity before = await(n1.enroll(token("n1")));
    await(n1.recover(clock));
    await(vertx.executeBlocking(() -> a.revokeNode("n1")));
    assertTrue(failure(n1.recover(clock)).getMessage().contains("node 'n1' is revoked"));
    assertTrue(failure(n1.renew()).getMessage().contains("node 'n1' is revoked"));
    assertEquals(1L, a.outcomes().get("recover.revoked"));
    assertEquals(1L, a.outcomes().get("renew.revoked"));

    await(n1.enroll(token("n1")));
    await(n1.recover(clock));
    assertTrue(!revoked.isRevoked("n1"), "re-admitted");
    AuthorityClient old = new AuthorityClient(vertx, "127.0.0.1", a.port(), ca.certificate(), "n1", random)
        .identity(before);
    assertTrue(failure(old.recover(clock)).getMessage().contains("replaced by a newer one"));
  }

  @Test
  void aTokenWorksOnce() throws Exception {
    String t = token("n1");
    await(client("n1").enroll(t));
    Throwable e = failure(client("n1").enroll(t));
    assertTrue(e.getMessage().contains("token already used"), e.getMessage());
    assertEquals(1L, authority.outcomes().get("enroll.token_used"));
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    String t = tokens.issue("n1", Duration.ofMinutes(10), Instant.now().minus(Duration.ofHours(1)), random);
    Throwable e = failure(client("n1").enroll(t));
    assertTrue(e.getMessage().contains("token expired"), e.getMessage());
  }

  @Test
  void aTokenFromElsewhereIsRefused() throws Exception {
    byte[] otherKey = new byte[32];
    String t = new EnrollmentTokens(otherKey).issue("n1", Duration.ofMinutes(5), Instant.now(), random);
    Throwable e = failure(client("n1").enroll(t));
    assertTrue(e.getMessage().contains("not issued by this authority"), e.getMessage());
  }

  @Test
  void aCsrForAnotherNodeIsRefused() throws Exception {
    Throwable e = failure(client("mallory").enroll(token("n1")));
    assertTrue(e.getMessage().contains("the token is for 'n1', not 'mallory'"), e.getMessage());
    // And a CSR that names another node than the token, sent by hand without a claimed id:
    KeyPair kp = NodeCertificates.newKeyPair(random);
    String csr = Pem.encode(NodeCertificates.csr("mallory", kp));
    JsonObject answer = rawPost("/v1/enroll", new JsonObject().put("token", token("n1")).put("csr", csr));
    assertEquals(403, answer.getInteger("status"));
    assertTrue(answer.getString("error").contains("the CSR is for 'mallory'"), answer.encode());
  }

  @Test
  void recoveryWithoutAClientCertificateIsRefused() throws Exception {
    JsonObject answer = rawPost("/v1/recover", new JsonObject().put("nonce", "x").put("key", "y"));
    assertEquals(403, answer.getInteger("status"));
    assertTrue(answer.getString("error").contains("a node certificate is required"), answer.encode());
    assertEquals(1L, authority.outcomes().get("recover.no_certificate"));
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    MeshCa other = MeshCa.create("other", Duration.ofDays(1), random);
    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate foreign = other.issueNode(NodeCertificates.csr("n1", kp), "n1", Duration.ofHours(1));
    AuthorityClient c = client("n1").identity(new NodeIdentity(foreign, kp.getPrivate()));
    Throwable e = failure(c.recover(clock));
    assertTrue(e.getMessage().contains("not issued by this mesh's CA"), e.getMessage());
    assertEquals(1L, authority.outcomes().get("recover.foreign_certificate"));
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate expired = ca.issueNode(NodeCertificates.csr("n1", kp), "n1", Duration.ofSeconds(-10));
    AuthorityClient c = client("n1").identity(new NodeIdentity(expired, kp.getPrivate()));
    Throwable e = failure(c.recover(clock));
    assertTrue(e.getMessage().contains("certificate expired"), e.getMessage());
    assertEquals(1L, authority.outcomes().get("recover.certificate_expired"));
  }

  @Test
  void aForgedOrReplayedAnswerIsRefused() throws Exception {
    AuthorityClient c = client("n1");
    await(c.enroll(token("n1")));
    HPKE hpke = RecoveryCrypto.hpke();
    AsymmetricCipherKeyPair eph = hpke.generatePrivateKey();
    byte[] pub = hpke.serializePublicKey(eph.getPublic());
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    JsonObject genuine = rawRecover(c, nonce, pub);
    // The genuine answer passes for its own request.
    assertEquals(genuine.getLong("epoch"), c.check(genuine, clock, eph, pub, nonce).state().epoch());

    // Replayed: the same answer presented to a later request (new nonce, new key).
    AsymmetricCipherKeyPair eph2 = hpke.generatePrivateKey();
    byte[] pub2 = hpke.serializePublicKey(eph2.getPublic());
    byte[] nonce2 = new byte[32];
    random.nextBytes(nonce2);
    AuthorityClient.RecoveryException replay = assertThrows(AuthorityClient.RecoveryException.class,
        () -> c.check(genuine, clock, eph2, pub2, nonce2));
    assertTrue(replay.getMessage().contains("signature does not verify"), replay.getMessage());

    // Forged: an attacker changes the epoch (or any byte of the ciphertext).
    JsonObject shifted = genuine.copy().put("epoch", genuine.getLong("epoch") + 1);
    assertThrows(AuthorityClient.RecoveryException.class, () -> c.check(shifted, clock, eph, pub, nonce));
    byte[] ct = Base64.getDecoder().decode(genuine.getString("ct"));
    ct[0] ^= 1;
    JsonObject tampered = genuine.copy().put("ct", Base64.getEncoder().encodeToString(ct));
    assertThrows(AuthorityClient.RecoveryException.class, () -> c.check(tampered, clock, eph, pub, nonce));

    // Forged: signed by an "authority" of another CA.
    MeshCa other = MeshCa.create("other", Duration.ofDays(1), random);
    KeyPair fake = NodeCertificates.newKeyPair(random);
    JsonObject impostor = genuine.copy().put("authority", Pem.encode(other.issueAuthority(fake.getPublic(),
        List.of("127.0.0.1"), Duration.ofDays(1))));
    AuthorityClient.RecoveryException wrongCa = assertThrows(AuthorityClient.RecoveryException.class,
        () -> c.check(impostor, clock, eph, pub, nonce));
    assertTrue(wrongCa.getMessage().contains("not this mesh's authority"), wrongCa.getMessage());
  }

  @Test
  void anAnswerFromAnotherEpochThanTheLocalClockIsRefusedAsClockSkew() throws Exception {
    AuthorityClient c = client("n1");
    await(c.enroll(token("n1")));
    EpochClock skewed = new EpochClock(clock.genesis(), INTERVAL,
        () -> System.currentTimeMillis() + 3 * INTERVAL.toMillis());
    Throwable e = failure(c.recover(skewed));
    assertTrue(e.getMessage().contains("clock skew"), e.getMessage());
  }

  @Test
  void anImpostorAuthorityWithACertificateFromAnotherCaGetsNothing() throws Exception {
    MeshCa other = MeshCa.create("impostor", Duration.ofDays(1), random);
    AuthorityVerticle impostor = startAuthority(vertx, other, tokens, clock, false, random);
    AuthorityClient c = new AuthorityClient(vertx, "127.0.0.1", impostor.port(), ca.certificate(), "n1", random);
    Throwable e = failure(c.enroll(token("n1")));
    assertTrue(e instanceof javax.net.ssl.SSLHandshakeException, e.toString());
    assertTrue(impostor.outcomes().isEmpty(), "the TLS handshake failed before any request: " + impostor.outcomes());
  }

  @Test
  void aNodeRenewsItsCertificateForANewKeyAndOnlyWithAValidOne() throws Exception {
    AuthorityClient c = client("n1");
    NodeIdentity first = await(c.enroll(token("n1")));
    NodeIdentity renewed = await(c.renew());
    assertEquals("n1", NodeCertificates.nodeId(renewed.certificate()));
    assertTrue(!java.util.Arrays.equals(first.certificate().getPublicKey().getEncoded(),
        renewed.certificate().getPublicKey().getEncoded()), "a new key pair");
    assertEquals(clock.currentEpoch(), await(c.recover(clock)).state().epoch(), 1.0);
    assertEquals(1L, authority.outcomes().get("renew.ok"));

    JsonObject anonymous = rawPost("/v1/renew", new JsonObject().put("csr", "x"));
    assertEquals(403, anonymous.getInteger("status"));
    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate expired = ca.issueNode(NodeCertificates.csr("n1", kp), "n1", Duration.ofSeconds(-10));
    Throwable e = failure(client("n1").identity(new NodeIdentity(expired, kp.getPrivate())).renew());
    assertTrue(e.getMessage().contains("certificate expired"), e.getMessage());
  }

  @Test
  void aRecoveringNodeEnrollsKeepsItsIdentityAndRenewsItOnItsOwn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // An authority that issues 3-second certificates: the node renews at two thirds, about 2 s in.
    AuthorityVerticle shortLived = startAuthority(vertx, ca, tokens, clock, false, random, Duration.ofSeconds(3));
    java.nio.file.Path caFile = dir.resolve("ca.crt");
    Pem.write(caFile, Pem.encode(ca.certificate()), false);
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    AuthorityRecovery recovery = new AuthorityRecovery("n1", new AuthorityRecovery.Settings("127.0.0.1",
        shortLived.port(), caFile, dir.resolve("state"), TokenSource.memory(token("n1")),
        AuthorityRecovery.Method.SEALED_STATE), clock, null, random, registry);
    KeyState state = await(recovery.initialState(vertx, clock.currentEpoch()));
    assertArrayEquals(ChainAnchor.genesis(SEED).stateAt(state.epoch()).chainKey(KeyRole.CURRENT),
        state.chainKey(KeyRole.CURRENT));
    java.time.Instant firstExpiry = recovery.certificateExpiry();
    String firstCert = java.nio.file.Files.readString(dir.resolve("state").resolve(NodeIdentity.CERT_FILE));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (registry.counter("sscmic.authority.certificate.renewals", "node", "n1", "result", "ok").count() < 1) {
      assertTrue(System.nanoTime() < deadline, "renewed within 20 s");
      Thread.sleep(50);
    }
    assertTrue(recovery.certificateExpiry().isAfter(firstExpiry), "a later expiry after renewal");
    assertTrue(!firstCert.equals(java.nio.file.Files.readString(dir.resolve("state").resolve(NodeIdentity.CERT_FILE))),
        "the renewed certificate replaced the stored one");
    await(recovery.close());
  }

  /**
   * The authority's used-token file on a real full disk: the node is told 503 with the cause, the
   * authority counts and logs it and keeps serving, the token stays unused, and the same token
   * works once there is room again.
   */
  @Test
  void anEnrollmentTheAuthorityCannotRecordOnAFullDiskIsRefusedAndWorksOnceThereIsRoom() throws Exception {
    try (io.sscmic.keysyn.FullDisk disk = io.sscmic.keysyn.FullDisk.mount()) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      EnrollmentTokens recorded = new EnrollmentTokens(key, disk.dir.resolve("used-tokens"));
      AuthorityVerticle a = startAuthority(vertx, ca, recorded, clock, true, random);
      String t = recorded.issue("n1", Duration.ofMinutes(10), Instant.now(), random);
      disk.fill();
      AuthorityClient c = new AuthorityClient(vertx, "127.0.0.1", a.port(), ca.certificate(), "n1", random);
      io.sscmic.keysyn.LogLines log = new io.sscmic.keysyn.LogLines(AuthorityVerticle.class);
      Throwable e;
      try {
        e = failure(c.enroll(t));
      } finally {
        log.close();
      }
      // The node reads what happened and what to do; the path and the OS error are in the authority's log only.
      assertTrue(e.getMessage().contains("cannot record the enrollment now; the token is still unused"),
          e.getMessage());
      assertTrue(!e.getMessage().contains("No space left") && !e.getMessage().contains("used-tokens"), e.getMessage());
      assertTrue(log.any(m -> m.contains("No space left on device") && m.contains("used-tokens")), log.toString());
      assertEquals(1L, a.outcomes().get("enroll.state_write_failed"));
      disk.free(-1);
      await(c.enroll(t));
      assertEquals(1L, a.outcomes().get("enroll.ok"));
      assertTrue(java.nio.file.Files.readString(disk.dir.resolve("used-tokens")).contains(" "),
          "the token is recorded as used now");
    }
  }

  /**
   * A node whose state directory is on a full disk: the renewed certificate cannot be stored, the
   * renewal counts as failed and is logged with the cause, the stored key and certificate stay the
   * old matching pair, and once there is room the next retry stores the renewal. The node runs on.
   */
  @Test
  void aRenewalThatCannotBeStoredOnAFullDiskIsRetriedAndTheStoredPairStaysIntact(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (io.sscmic.keysyn.FullDisk disk = io.sscmic.keysyn.FullDisk.mount()) {
      AuthorityVerticle shortLived = startAuthority(vertx, ca, tokens, clock, false, random, Duration.ofSeconds(3));
      java.nio.file.Path caFile = dir.resolve("ca.crt");
      Pem.write(caFile, Pem.encode(ca.certificate()), false);
      java.nio.file.Path state = disk.dir.resolve("state");
      var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
      AuthorityRecovery recovery = new AuthorityRecovery("n1", new AuthorityRecovery.Settings("127.0.0.1",
          shortLived.port(), caFile, state, TokenSource.memory(token("n1")), AuthorityRecovery.Method.SEALED_STATE),
          clock, null, random, registry);
      io.sscmic.keysyn.LogLines logs = new io.sscmic.keysyn.LogLines(AuthorityRecovery.class);
      try {
        await(recovery.initialState(vertx, clock.currentEpoch()));
        String oldKey = java.nio.file.Files.readString(state.resolve(NodeIdentity.KEY_FILE));
        String oldCert = java.nio.file.Files.readString(state.resolve(NodeIdentity.CERT_FILE));
        disk.fill();
        var failed = registry.counter("sscmic.authority.certificate.renewals", "node", "n1", "result", "failed");
        var ok = registry.counter("sscmic.authority.certificate.renewals", "node", "n1", "result", "ok");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (failed.count() < 1) {
          assertTrue(System.nanoTime() < deadline, "a renewal was attempted within 20 s");
          Thread.sleep(50);
        }
        assertTrue(logs.any(m -> m.contains("certificate renewal failed: cannot write " + state)
            && m.contains("No space left on device")), logs.toString());
        assertEquals(oldKey, java.nio.file.Files.readString(state.resolve(NodeIdentity.KEY_FILE)));
        assertEquals(oldCert, java.nio.file.Files.readString(state.resolve(NodeIdentity.CERT_FILE)));
        assertEquals(0.0, ok.count());
        disk.free(-1);
        while (ok.count() < 1) {
          assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(10), "renewed once there was room");
          Thread.sleep(50);
        }
        NodeIdentity stored = NodeIdentity.load(state);
        assertTrue(!oldCert.equals(java.nio.file.Files.readString(state.resolve(NodeIdentity.CERT_FILE))));
        java.security.Signature sig = java.security.Signature.getInstance("SHA256withECDSA");
        sig.initSign(stored.key());
        sig.update(new byte[] {1, 2, 3});
        byte[] signed = sig.sign();
        sig.initVerify(stored.certificate());
        sig.update(new byte[] {1, 2, 3});
        assertTrue(sig.verify(signed), "the stored certificate is the stored key's");
      } finally {
        logs.close();
        await(recovery.close());
      }
    }
  }

  /** A recovery request made by hand, returning the authority's JSON answer. */
  private JsonObject rawRecover(AuthorityClient c, byte[] nonce, byte[] pub) throws Exception {
    var http = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate()))))
        .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
            .setCertValue(Buffer.buffer(Pem.encode(c.identity().certificate())))
            .setKeyValue(Buffer.buffer(Pem.encode(c.identity().key())))));
    JsonObject body = new JsonObject().put("nonce", Base64.getEncoder().encodeToString(nonce))
        .put("key", Base64.getEncoder().encodeToString(pub));
    return await(http.request(HttpMethod.POST, authority.port(), "127.0.0.1", "/v1/recover")
        .compose(req -> req.send(body.toBuffer())).compose(resp -> resp.body()).map(Buffer::toJsonObject));
  }

  /** A POST without a client certificate; returns the JSON answer plus its status. */
  private JsonObject rawPost(String path, JsonObject body) throws Exception {
    var http = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate())))));
    return await(http.request(HttpMethod.POST, authority.port(), "127.0.0.1", path)
        .compose(req -> req.send(body.toBuffer()))
        .compose(resp -> resp.body().map(b -> b.toJsonObject().put("status", resp.statusCode()))));
  }
}
