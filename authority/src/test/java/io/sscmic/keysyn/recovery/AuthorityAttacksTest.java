package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.failure;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.LogLines;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attacks of issue 14 (items 1, 7, 8 and 9) against a real authority over HTTPS on loopback:
 * each test does what the attacker did and checks that it no longer works.
 */
class AuthorityAttacksTest {
  private final SecureRandom random = new SecureRandom();
  private final byte[] tokenKey = new byte[32];
  private Vertx vertx;
  private MeshCa ca;
  private EnrollmentTokens tokens;
  private EpochClock clock;
  private Revocations revocations;
  private AuthorityVerticle authority;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    ca = MeshCa.create("attacks", Duration.ofDays(365), random);
    random.nextBytes(tokenKey);
    tokens = new EnrollmentTokens(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
    revocations = Revocations.none();
    authority = start(Duration.ofDays(30));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  private AuthorityVerticle start(Duration maxRenewalAge) throws Exception {
    return startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24), false, maxRenewalAge), random,
        revocations, null, null);
  }

  private AuthorityClient client(AuthorityVerticle a, String node) {
    return new AuthorityClient(vertx, "127.0.0.1", a.port(), ca.certificate(), node, random);
  }

  private String token(String node) {
    return tokens.issue(node, Duration.ofMinutes(10), Instant.now(), random);
  }

  // ---- item 1: a stolen node key stops working ----

  /**
   * The thief copies alpha's node.key and node.crt. Once alpha renews (and uses its new
   * certificate), the copy neither recovers nor renews: no chain of renewals can start from it,
   * and the authority counts and logs one node id with two keys.
   */
  @Test
  void aCopiedKeyIsDeadOnceTheNodeHasRenewedAndTheTwoKeysAreReported() throws Exception {
    AuthorityClient alpha = client(authority, "alpha");
    NodeIdentity stolen = await(alpha.enroll(token("alpha")));
    AuthorityClient thief = client(authority, "alpha").identity(stolen);
    await(thief.recover(clock));

    await(alpha.renew());
    await(alpha.recover(clock));
    try (LogLines log = new LogLines(AuthorityVerticle.class)) {
      Throwable recover = failure(thief.recover(clock));
      assertTrue(recover.getMessage().contains("replaced by a newer one"), recover.getMessage());
      Throwable renew = failure(thief.renew());
      assertTrue(renew.getMessage().contains("replaced by a newer one"), renew.getMessage());
      assertTrue(log.any(m -> m.contains("node 'alpha' seen with two keys")
          && m.contains(stolen.certificate().getSerialNumber().toString(16))), log.toString());
    }
    assertEquals(2L, authority.keyConflicts().get("alpha"));
    assertEquals(1L, authority.outcomes().get("recover.superseded"));
    assertEquals(1L, authority.outcomes().get("renew.superseded"));
    await(alpha.recover(clock));
  }

  /**
   * The thief renews first: now alpha's certificate is the dead one (it must enroll again), never
   * both. Revoking the thief's serial refuses the thief; a new token re-admits alpha, and the
   * thief's certificate stays refused.
   */
  @Test
  void whenTheThiefRenewsFirstOnlyTheThiefIsLiveUntilItsSerialIsRevokedAndANewTokenReadmitsTheNode()
      throws Exception {
    AuthorityClient alpha = client(authority, "alpha");
    NodeIdentity stolen = await(alpha.enroll(token("alpha")));
    AuthorityClient thief = client(authority, "alpha").identity(stolen);
    NodeIdentity thiefs = await(thief.renew());
    await(thief.recover(clock));

    Throwable cutOff = failure(alpha.recover(clock));
    assertTrue(cutOff.getMessage().contains("replaced by a newer one"), cutOff.getMessage());
    assertTrue(failure(alpha.renew()).getMessage().contains("replaced by a newer one"));
    assertEquals(thiefs.certificate().getSerialNumber(), authority.certificates().entry("alpha").active());

    BigInteger serial = thiefs.certificate().getSerialNumber();
    assertEquals("alpha", await(vertx.executeBlocking(() -> authority.revokeSerial(serial))));
    Throwable revoked = failure(thief.recover(clock));
    assertTrue(revoked.getMessage().contains("serial " + serial.toString(16) + ") is revoked"), revoked.getMessage());
    assertTrue(failure(thief.renew()).getMessage().contains("is revoked"));
    // The replaced certificate (alpha's, and the thief's original copy) is not adopted in its place.
    Throwable noneLive = failure(client(authority, "alpha").identity(stolen).recover(clock));
    assertTrue(noneLive.getMessage().contains("has no live certificate"), noneLive.getMessage());

    NodeIdentity readmitted = await(alpha.enroll(token("alpha")));
    await(alpha.recover(clock));
    await(alpha.renew());
    await(alpha.recover(clock));
    assertNotEquals(serial, readmitted.certificate().getSerialNumber());
    assertTrue(failure(thief.recover(clock)).getMessage().contains("is revoked"));
  }

  /** Revoking the serial a thief copied does not cut off the real node, which renewed since. */
  @Test
  void revokingACopiedSerialLeavesTheRealNodeWorking() throws Exception {
    AuthorityClient alpha = client(authority, "alpha");
    NodeIdentity stolen = await(alpha.enroll(token("alpha")));
    await(alpha.renew());
    await(alpha.recover(clock));
    await(vertx.executeBlocking(() -> authority.revokeSerial(stolen.certificate().getSerialNumber())));
    await(alpha.recover(clock));
    await(alpha.renew());
    await(alpha.recover(clock));
    AuthorityClient thief = client(authority, "alpha").identity(stolen);
    assertTrue(failure(thief.recover(clock)).getMessage().contains("is revoked"));
  }

  /**
   * A thief alone with the copy (the node is down) can chain renewals only until the maximum age
   * since enrollment: no certificate outlives it, and then the copy is dead.
   */
  @Test
  void chainedRenewalsStopAtTheMaximumAgeSinceEnrollment() throws Exception {
    Duration maxAge = Duration.ofSeconds(4);
    AuthorityVerticle a = start(maxAge);
    AuthorityClient alpha = client(a, "alpha");
    Instant enrolled = Instant.now();
    NodeIdentity stolen = await(alpha.enroll(token("alpha")));
    AuthorityClient thief = client(a, "alpha").identity(stolen);
    Instant bound = enrolled.plus(maxAge).plusSeconds(1);
    assertFalse(stolen.expiry().isAfter(bound), "enrolled certificate capped at the bound: " + stolen.expiry());
    int renewals = 0;
    Throwable refused = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (refused == null && System.nanoTime() < deadline) {
      try {
        NodeIdentity id = await(thief.renew());
        renewals++;
        assertFalse(id.expiry().isAfter(bound), "renewed certificate capped at the bound: " + id.expiry());
        Thread.sleep(300);
      } catch (java.util.concurrent.ExecutionException e) {
        refused = e.getCause();
      }
    }
    assertTrue(renewals >= 2, "renewals worked before the bound: " + renewals);
    assertTrue(refused != null && (refused.getMessage().contains("needs a new enrollment token")
        || refused.getMessage().contains("certificate expired")), String.valueOf(refused));
    assertTrue(Instant.now().isAfter(enrolled.plus(maxAge).minusSeconds(1)), "not refused before the bound");
    while (Instant.now().isBefore(bound.plusSeconds(1))) {
      Thread.sleep(200);
    }
    assertTrue(failure(thief.recover(clock)).getMessage().contains("certificate expired"));
    // A new token starts a new bound.
    await(client(a, "alpha").enroll(token("alpha")));
  }

  /**
   * The renewal bound as a running node meets it: renewals stop at the bound, the used token in
   * its token file does not help, and once the operator writes a new token there the node enrolls
   * again on its own, without a restart (OPERATIONS.md "Renewal bound").
   */
  @Test
  void aRunningNodePastTheBoundEnrollsAgainWithTheNewTokenInItsTokenFile(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    AuthorityVerticle a = startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofSeconds(3), false, Duration.ofSeconds(5)), random,
        revocations, null, null);
    Path caFile = dir.resolve("ca.crt");
    Pem.write(caFile, Pem.encode(ca.certificate()), false);
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token("alpha"));
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    AuthorityRecovery node = new AuthorityRecovery("alpha", new AuthorityRecovery.Settings("127.0.0.1", a.port(),
        caFile, dir.resolve("state"), TokenSource.file(tokenFile), AuthorityRecovery.Method.SEALED_STATE), clock, null,
        random, registry);
    try (LogLines log = new LogLines(AuthorityRecovery.class)) {
      await(node.initialState(vertx, clock.currentEpoch()));
      Instant firstEnrollment = a.certificates().entry("alpha").enrolled();
      var failed = registry.counter("sscmic.authority.certificate.renewals", "node", "alpha", "result", "failed");
      long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      while (failed.count() < 1) {
        assertTrue(System.nanoTime() < deadline, "a renewal was refused at the bound within 40 s");
        Thread.sleep(100);
      }
      // The token file still holds the first, used token: enrolling with it is tried and refused.
      assertTrue(log.any(m -> m.contains("enrolling with the token in file " + tokenFile + " failed too")
          && m.contains("token already used")), log.toString());
      assertEquals(firstEnrollment, a.certificates().entry("alpha").enrolled(), "not enrolled again yet");
      Files.writeString(tokenFile, token("alpha"));
      while (!a.certificates().entry("alpha").enrolled().isAfter(firstEnrollment)) {
        assertTrue(System.nanoTime() < deadline + Duration.ofSeconds(30).toNanos(), "enrolled again with the new token");
        Thread.sleep(100);
      }
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!log.any(m -> m.contains("enrolled again with the token in file " + tokenFile))) {
        assertTrue(System.nanoTime() < until, log.toString());
        Thread.sleep(100);
      }
      while (!a.certificates().entry("alpha").active().equals(
          NodeIdentity.load(dir.resolve("state")).certificate().getSerialNumber())) {
        assertTrue(System.nanoTime() < until, "the new certificate is stored");
        Thread.sleep(100);
      }
    } finally {
      await(node.close());
    }
  }

  /**
   * Certificates older than the authority's record (issued before the upgrade that added it) are
   * adopted as live once; an unknown certificate issued since then is refused, so the record
   * cannot be bypassed by a certificate it never saw.
   */
  @Test
  void onlyACertificateFromBeforeTheRecordIsAdopted() throws Exception {
    KeyPair before = NodeCertificates.newKeyPair(random);
    X509Certificate legacy = ca.issueNode(NodeCertificates.csr("old", before), "old", Duration.ofHours(1));
    Thread.sleep(1500);
    AuthorityVerticle upgraded = start(Duration.ofDays(30));
    AuthorityClient old = client(upgraded, "old").identity(new NodeIdentity(legacy, before.getPrivate()));
    await(old.recover(clock));
    assertEquals(legacy.getSerialNumber(), upgraded.certificates().entry("old").active());
    KeyPair after = NodeCertificates.newKeyPair(random);
    X509Certificate unrecorded = ca.issueNode(NodeCertificates.csr("other", after), "other", Duration.ofHours(1));
    Throwable e = failure(client(upgraded, "other").identity(new NodeIdentity(unrecorded, after.getPrivate()))
        .recover(clock));
    assertTrue(e.getMessage().contains("has no live certificate"), e.getMessage());
  }

  /** A renewal whose answer was lost may be repeated with the old certificate while the new one is unused. */
  @Test
  void aRenewalWhoseAnswerWasLostCanBeRepeatedWithTheOldCertificate() throws Exception {
    AuthorityClient alpha = client(authority, "alpha");
    NodeIdentity first = await(alpha.enroll(token("alpha")));
    NodeIdentity lost = await(client(authority, "alpha").identity(first).renew());
    await(alpha.renew());
    await(alpha.recover(clock));
    AuthorityClient lostHolder = client(authority, "alpha").identity(lost);
    assertTrue(failure(lostHolder.recover(clock)).getMessage().contains("replaced by a newer one"));
  }

  // ---- item 7: the authority's id and certificate cannot be borrowed ----

  /** A token for the reserved id, MAC'd with this authority's token key as an old version issued it. */
  private String tokenFor(String node) throws Exception {
    byte[] id = node.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + id.length + 8 + 16 + 32);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    b.put((byte) id.length).put(id).putLong(Instant.now().plusSeconds(600).getEpochSecond()).put(nonce);
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(new SecretKeySpec(tokenKey, "HmacSHA256"));
    m.update("sscmic/v1 enrollment token".getBytes(StandardCharsets.US_ASCII));
    m.update(b.array(), 0, b.position());
    b.put(m.doFinal());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  @Test
  void theAuthorityIdIsReservedForTokensEnrollmentAndTheCa() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> token("authority"));
    Throwable e = failure(client(authority, "authority").enroll(tokenFor("authority")));
    assertTrue(e.getMessage().contains("'authority' is reserved"), e.getMessage());
    assertEquals(1L, authority.outcomes().get("enroll.reserved"));
    KeyPair kp = NodeCertificates.newKeyPair(random);
    assertThrows(IllegalArgumentException.class, () -> ca.issueNode(NodeCertificates.csr("authority", kp),
        "authority", Duration.ofHours(1)));
  }

  @Test
  void nodeCertificatesAreForTlsClientsOnly() throws Exception {
    NodeIdentity id = await(client(authority, "n1").enroll(token("n1")));
    assertEquals(List.of(NodeCertificates.CLIENT_AUTH), id.certificate().getExtendedKeyUsage());
    assertFalse(NodeCertificates.isAuthority(id.certificate()));
  }

  /** A certificate from the mesh CA with the given CN, URI SAN and usages, as an older version (or a bug) might issue. */
  private X509Certificate issue(java.security.PublicKey pub, String cn, String uri, KeyPurposeId... purposes)
      throws Exception {
    Instant now = Instant.now();
    var b = new JcaX509v3CertificateBuilder(ca.certificate(), new BigInteger(64, random), Date.from(now.minusSeconds(60)),
        Date.from(now.plusSeconds(3600)), new X500Name("CN=" + cn), pub)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    return new JcaX509CertificateConverter().getCertificate(b.build(NodeCertificates.signer(ca.key())));
  }

  /**
   * A node enrolled as {@code localhost} runs an "authority" with its node certificate: a node that
   * reaches the authority at https://localhost gets nothing from it, whether the certificate is a
   * current one (clientAuth only: the TLS handshake fails) or one issued before this fix (with
   * serverAuth: the client sees it is not the authority's and stops before it reads an answer).
   */
  @Test
  void aNodeNamedLikeTheAuthoritysHostCannotPassTlsAsTheAuthority() throws Exception {
    NodeIdentity localhost = await(client(authority, "localhost").enroll(token("localhost")));
    AuthorityVerticle fake = startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(1), false), random, Revocations.none(),
        localhost.certificate(), localhost.key());
    AuthorityClient victim = new AuthorityClient(vertx, "localhost", fake.port(), ca.certificate(), "n1", random);
    Throwable e = failure(victim.enroll(token("n1")));
    assertTrue(e instanceof javax.net.ssl.SSLHandshakeException, e.toString());

    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate oldStyle = issue(kp.getPublic(), "localhost", "sscmic://node/localhost",
        KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth);
    AuthorityVerticle fake2 = startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(1), false), random, Revocations.none(),
        oldStyle, kp.getPrivate());
    AuthorityClient victim2 = new AuthorityClient(vertx, "localhost", fake2.port(), ca.certificate(), "n1", random);
    Throwable e2 = failure(victim2.enroll(token("n1")));
    assertTrue(e2.getMessage().contains("not the mesh's authority"), e2.toString());
    assertTrue(fake2.outcomes().isEmpty() || !fake2.outcomes().containsKey("enroll.ok")
        || victim2.identity() == null, "the victim adopted nothing");
    assertEquals(null, victim2.identity());
  }

  /** A recovery answer signed with a node's key (even one whose CN reads "authority") is refused. */
  @Test
  void aNodeCertificateCannotSignARecoveryAnswer() throws Exception {
    AuthorityClient n1 = client(authority, "n1");
    await(n1.enroll(token("n1")));
    HPKE hpke = RecoveryCrypto.hpke();
    AsymmetricCipherKeyPair eph = hpke.generatePrivateKey();
    byte[] pub = hpke.serializePublicKey(eph.getPublic());
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    long epoch = clock.currentEpoch();
    byte[][] encCt = RecoveryCrypto.seal(pub, "n1", epoch, nonce,
        io.sscmic.keysyn.ChainAnchor.genesis(AuthorityClientTest.SEED).stateAt(epoch), null);
    KeyPair kp = NodeCertificates.newKeyPair(random);
    for (X509Certificate signer : List.of(
        issue(kp.getPublic(), "authority", "sscmic://node/n2", KeyPurposeId.id_kp_clientAuth),
        issue(kp.getPublic(), "authority", "sscmic://node/authority", KeyPurposeId.id_kp_clientAuth),
        issue(kp.getPublic(), "n2", "sscmic://node/n2", KeyPurposeId.id_kp_clientAuth,
            KeyPurposeId.id_kp_serverAuth))) {
      byte[] sig = RecoveryCrypto.sign(kp.getPrivate(), RecoveryCrypto.signedBytes("n1", epoch, nonce, pub, encCt[0],
          encCt[1]));
      JsonObject forged = new JsonObject().put("node", "n1").put("epoch", epoch)
          .put("genesis", clock.genesis().toString()).put("intervalMillis", clock.interval().toMillis())
          .put("enc", Base64.getEncoder().encodeToString(encCt[0]))
          .put("ct", Base64.getEncoder().encodeToString(encCt[1]))
          .put("signature", Base64.getEncoder().encodeToString(sig)).put("authority", Pem.encode(signer));
      AuthorityClient.RecoveryException e = assertThrows(AuthorityClient.RecoveryException.class,
          () -> n1.check(forged, clock, eph, pub, nonce));
      assertTrue(e.getMessage().contains("not the authority"), e.getMessage());
    }
  }

  // ---- item 8: a malformed CSR does not burn the token; no exception text to callers ----

  private JsonObject rawEnroll(JsonObject body) throws Exception {
    var http = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate())))));
    return await(http.request(HttpMethod.POST, authority.port(), "127.0.0.1", "/v1/enroll")
        .compose(req -> req.send(body.toBuffer()))
        .compose(resp -> resp.body().map(b -> b.toJsonObject().put("status", resp.statusCode()))));
  }

  @Test
  void aBadCsrLeavesTheTokenUsableAndTheAnswerCarriesNoExceptionText() throws Exception {
    String t = token("n1");
    KeyPair kp = NodeCertificates.newKeyPair(random);
    byte[] der = NodeCertificates.csr("n1", kp).getEncoded();
    der[der.length - 5] ^= 1;
    String badSignature = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END CERTIFICATE REQUEST-----\n";
    for (String csr : new String[] {"not a CSR",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", badSignature,
        Pem.encode(NodeCertificates.csr("mallory", kp))}) {
      try (LogLines log = new LogLines(AuthorityVerticle.class)) {
        JsonObject answer = rawEnroll(new JsonObject().put("node", "n1").put("token", t).put("csr", csr));
        assertTrue(answer.getInteger("status") == 400 || answer.getInteger("status") == 403, answer.encode());
        String error = answer.getString("error");
        assertFalse(error.contains("Exception") || error.contains("java.") || error.contains("org.bouncycastle")
            || error.contains(":"), "no exception text to the caller: " + error);
        assertTrue(log.any(m -> m.contains("refused /v1/enroll")), log.toString());
      }
    }
    assertEquals(0, authority.outcomes().getOrDefault("enroll.ok", 0L));
    NodeIdentity id = await(client(authority, "n1").enroll(t));
    assertEquals("n1", NodeCertificates.nodeId(id.certificate()));
  }

  // ---- item 9: TLS 1.3 only, client certificates for TLS clients only ----

  private SSLContext trustingTheCa() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), random);
    return ctx;
  }

  @Test
  void theAuthoritySpeaksTls13OnlyAndNoCbcOrSha1Suite() throws Exception {
    SSLContext ctx = trustingTheCa();
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", authority.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"});
      s.setSoTimeout(20_000);
      assertThrows(SSLException.class, s::startHandshake);
    }
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", authority.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      s.setSoTimeout(20_000);
      s.startHandshake();
      assertEquals("TLSv1.3", s.getSession().getProtocol());
    }
  }

  @Test
  void aMeshCertificateWithoutClientAuthIsRefused() throws Exception {
    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate serverOnly = issue(kp.getPublic(), "n1", "sscmic://node/n1", KeyPurposeId.id_kp_serverAuth);
    AuthorityClient c = client(authority, "n1").identity(new NodeIdentity(serverOnly, kp.getPrivate()));
    Throwable e = failure(c.recover(clock));
    assertTrue(e.getMessage().contains("not issued for TLS client authentication"), e.getMessage());
    assertEquals(1L, authority.outcomes().get("recover.wrong_certificate"));
  }
}
