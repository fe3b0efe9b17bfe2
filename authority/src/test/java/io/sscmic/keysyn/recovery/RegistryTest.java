package io.sscmic.keysyn.recovery;

import static io.sscmic.keysyn.recovery.AuthorityClientTest.await;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.failure;
import static io.sscmic.keysyn.recovery.AuthorityClientTest.startAuthority;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.authority.AuthorityVerticle;
import io.sscmic.authority.EnrollmentTokens;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.registry.RegistrySettings;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.pki.Pem;
import io.sscmic.keysyn.registry.LeaseTerms;
import io.sscmic.keysyn.registry.Registration;
import io.sscmic.keysyn.registry.RegistryLease;
import io.sscmic.keysyn.registry.RegistryStream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authority's service registry (issue 17) over real HTTPS on loopback: registration under a
 * lease, the watch stream (snapshot, live updates, resume), and the attacks: registering another
 * node's id, a service the node does not own, watching without a certificate, a forged watch.
 */
class RegistryTest {
  private static final Duration TTL = Duration.ofMillis(800);
  private static final Duration RENEW = Duration.ofMillis(200);
  private final SecureRandom random = new SecureRandom();
  private Vertx vertx;
  private MeshCa ca;
  private EnrollmentTokens tokens;
  private EpochClock clock;
  private Revocations revocations;
  private AuthorityVerticle authority;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    ca = MeshCa.create("registry", Duration.ofDays(365), random);
    byte[] tokenKey = new byte[32];
    random.nextBytes(tokenKey);
    tokens = new EnrollmentTokens(tokenKey);
    clock = new EpochClock(Instant.now().minusSeconds(3600), Duration.ofSeconds(10));
    revocations = Revocations.none();
    authority = startAuthority(vertx, ca, tokens, clock, options(), random, revocations, null, null);
  }

  private static AuthorityVerticle.Options options() {
    return new AuthorityVerticle.Options(SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24),
        false, Duration.ofDays(30), new RegistrySettings(TTL, RENEW, Map.of("billing", Set.of("billing-1",
        "billing-2"))));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  private AuthorityClient enrolled(String node) throws Exception {
    AuthorityClient c = new AuthorityClient(vertx, "127.0.0.1", authority.port(), ca.certificate(), node, random);
    await(c.enroll(tokens.issue(node, Duration.ofMinutes(10), Instant.now(), random)));
    return c;
  }

  /** Events a watch delivered, in order. */
  private static final class Seen {
    final List<JsonObject> events = new CopyOnWriteArrayList<>();

    List<String> types() {
      return events.stream().map(e -> e.getString("type")).toList();
    }
  }

  private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private boolean registered(String node) {
    return authority.serviceRegistry().entries().stream().anyMatch(r -> r.node().equals(node));
  }

  @Test
  void aWatcherGetsTheSnapshotThenEveryChangeLiveAndADeadNodeLeavesWithinOneTtl() throws Exception {
    AuthorityClient b1 = enrolled("billing-1");
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    RegistryLease lease1 = new RegistryLease(vertx, "billing-1", () -> b1, List.of("billing"), "10.0.0.7", 7443,
        meters);
    LeaseTerms terms = await(lease1.start());
    assertEquals("billing-1", terms.node());
    assertEquals(TTL, terms.ttl());
    assertEquals(RENEW, terms.renew());

    AuthorityClient caller = enrolled("caller");
    Seen seen = new Seen();
    RegistryStream stream = await(caller.watchRegistry(null, Duration.ofSeconds(10), seen.events::add));
    eventually(() -> !seen.events.isEmpty(), "the snapshot");
    JsonObject snapshot = seen.events.get(0);
    assertEquals("snapshot", snapshot.getString("type"));
    assertEquals(new Registration("billing-1", List.of("billing"), "10.0.0.7", 7443),
        Registration.fromJson(snapshot.getJsonArray("entries").getJsonObject(0)));

    // A second replica, registered without a host: the authority takes the request's source address.
    AuthorityClient b2 = enrolled("billing-2");
    RegistryLease lease2 = new RegistryLease(vertx, "billing-2", () -> b2, List.of("billing"), null, 7444, meters);
    await(lease2.start());
    long registered = System.nanoTime();
    eventually(() -> seen.events.stream().anyMatch(e -> "billing-2".equals(e.getString("node"))), "billing-2's update");
    System.out.println("RegistryTest: a registration reached the watcher " + (System.nanoTime() - registered) / 1000
        + " us after the registration's answer");
    JsonObject update = seen.events.stream().filter(e -> "billing-2".equals(e.getString("node"))).findFirst().get();
    assertEquals("127.0.0.1", update.getJsonObject("entry").getString("host"));

    // Renewed by their leases, both outlive several TTLs.
    Thread.sleep(TTL.multipliedBy(3).toMillis());
    assertTrue(registered("billing-1") && registered("billing-2"), authority.serviceRegistry().entries().toString());
    assertEquals(0L, authority.serviceRegistry().expiredCount());

    // billing-1 leaves (a drain): the watcher hears of it at once.
    await(lease1.stop());
    eventually(() -> seen.events.stream().anyMatch(e -> "billing-1".equals(e.getString("node"))
        && e.getValue("entry") == null), "billing-1's removal");

    // billing-2 stops renewing without a word (killed): its entry lapses within one TTL (plus the sweep period).
    lease2.abandon();
    long stoppedAt = System.nanoTime();
    eventually(() -> !registered("billing-2"), "billing-2's lease to lapse");
    long tookMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
    assertTrue(tookMillis <= TTL.toMillis() + 1000, "lapsed after " + tookMillis + " ms");
    eventually(() -> seen.events.stream().anyMatch(e -> "billing-2".equals(e.getString("node"))
        && e.getValue("entry") == null), "billing-2's removal on the stream");
    assertEquals(1L, authority.serviceRegistry().expiredCount());
    stream.close();
    await(stream.ended());
  }

  /**
   * Issue 17 item 3: a watcher that asks ({@code ?policy=1}) gets the mesh policy when the watch
   * opens and again on every change (a new version, a revocation); a watcher of an older node, which
   * does not ask, never sees a line type it does not know.
   */
  @Test
  void aWatcherThatAsksGetsThePolicyAndEachChangeAndAnOlderWatcherNeverSeesAPolicyLine() throws Exception {
    AuthorityClient caller = enrolled("caller");
    Seen asks = new Seen();
    Seen older = new Seen();
    await(caller.watchRegistry(null, Duration.ofSeconds(15), true, asks.events::add));
    await(caller.watchRegistry(null, Duration.ofSeconds(15), older.events::add));
    eventually(() -> asks.types().contains("policy"), "the policy line when the watch opens");
    JsonObject first = policies(asks).get(0);
    assertEquals(0L, first.getLong("version"));
    assertEquals(new JsonArray().add("allow * *"), first.getJsonArray("lines"), "the default: every member");
    assertEquals(new JsonArray(), first.getJsonArray("revoked"));

    authority.policyFeed().policy(new io.sscmic.authority.policy.MeshPolicy(1, List.of("allow * *",
        "deny orders web-2")));
    eventually(() -> policies(asks).size() == 2, "the new version");
    assertEquals(1L, policies(asks).get(1).getLong("version"));
    assertEquals("deny orders web-2", policies(asks).get(1).getJsonArray("lines").getString(1));

    assertTrue(authority.revokeNode("web-9"));
    eventually(() -> policies(asks).size() == 3, "the revocation");
    assertEquals(new JsonArray().add("web-9"), policies(asks).get(2).getJsonArray("revoked"));

    // A registry change after all that: each watch delivers in order, so once the older watcher has
    // it, it would have had any policy line before it.
    AuthorityClient b1 = enrolled("billing-1");
    RegistryLease lease = new RegistryLease(vertx, "billing-1", () -> b1, List.of("billing"), "10.0.0.7", 7443,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    await(lease.start());
    eventually(() -> older.events.stream().anyMatch(e -> "billing-1".equals(e.getString("node"))),
        "the older watcher to get the registration");
    assertTrue(older.types().stream().noneMatch("policy"::equals), older.types().toString());
    await(lease.stop());
  }

  private static List<JsonObject> policies(Seen seen) {
    return seen.events.stream().filter(e -> "policy".equals(e.getString("type"))).toList();
  }

  @Test
  void aLeaseRenewedInTimeStaysAndAReconnectingWatcherGetsOnlyWhatItMissed() throws Exception {
    AuthorityClient b1 = enrolled("billing-1");
    AuthorityClient caller = enrolled("caller");
    // Kept alive by its lease from the start: a bare registration could lapse (TTL) on a loaded
    // machine before the lease takes over, and its re-registration is then a change of its own.
    RegistryLease lease = new RegistryLease(vertx, "billing-1", () -> b1, List.of("billing"), "10.0.0.7", 7443,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    await(lease.start());
    Seen first = new Seen();
    RegistryStream s1 = await(caller.watchRegistry(null, Duration.ofSeconds(10), first.events::add));
    eventually(() -> !first.events.isEmpty(), "the snapshot");
    String version = first.events.get(first.events.size() - 1).getString("version");
    s1.close();

    // Renewed every RENEW (by its lease) for three TTLs: still there, and renewals are no change
    // (no new version).
    long before = authority.serviceRegistry().version();
    Thread.sleep(TTL.multipliedBy(3).toMillis());
    assertTrue(registered("billing-1"));
    assertEquals(before, authority.serviceRegistry().version(), "renewals change nothing");
    assertTrue(authority.outcomes().get("register.renewed") >= 3, authority.outcomes().toString());
    AuthorityClient b2 = enrolled("billing-2");
    await(b2.register(List.of("billing"), "10.0.0.8", 7443));

    Seen resumed = new Seen();
    await(caller.watchRegistry(version, Duration.ofSeconds(10), resumed.events::add));
    eventually(() -> !resumed.events.isEmpty(), "the catch-up");
    assertEquals("update", resumed.events.get(0).getString("type"), resumed.events.toString());
    assertEquals("billing-2", resumed.events.get(0).getString("node"));
    assertTrue(resumed.types().stream().noneMatch("snapshot"::equals), resumed.types().toString());

    // A version from another registry (an authority restarted since) gets a snapshot.
    Seen other = new Seen();
    await(caller.watchRegistry("0000:5", Duration.ofSeconds(10), other.events::add));
    eventually(() -> !other.events.isEmpty(), "the snapshot");
    assertEquals("snapshot", other.events.get(0).getString("type"));
    assertEquals(2, other.events.get(0).getJsonArray("entries").size());
  }

  /**
   * After an authority restart the registry is empty until the nodes renew: a watcher coming back
   * then (its version names the old registry) is held for the warm-up, and its first line is a
   * snapshot with the nodes that renewed, never an empty one that would wipe its view.
   */
  @Test
  void aRestartedRegistryHoldsReturningWatchersUntilTheNodesHaveRenewed() throws Exception {
    AuthorityVerticle fresh = startAuthority(vertx, ca, tokens, clock, new AuthorityVerticle.Options(
        SocketAddress.inetSocketAddress(0, "127.0.0.1"), Duration.ofHours(24), false, Duration.ofDays(30),
        new RegistrySettings(Duration.ofSeconds(6), Duration.ofSeconds(4), Map.of())), random, revocations, null,
        null);
    AuthorityClient caller = new AuthorityClient(vertx, "127.0.0.1", fresh.port(), ca.certificate(), "caller", random);
    await(caller.enroll(tokens.issue("caller", Duration.ofMinutes(10), Instant.now(), random)));
    AuthorityClient node = new AuthorityClient(vertx, "127.0.0.1", fresh.port(), ca.certificate(), "billing-1",
        random);
    await(node.enroll(tokens.issue("billing-1", Duration.ofMinutes(10), Instant.now(), random)));
    Seen seen = new Seen();
    long asked = System.nanoTime();
    var stream = caller.watchRegistry("0123456789ab:42", Duration.ofSeconds(15), seen.events::add);
    Thread.sleep(300);
    assertTrue(seen.events.isEmpty(), "held: " + seen.events);
    await(node.register(List.of("billing"), "10.0.0.7", 7443)); // the node's renewal after the restart
    await(stream);
    eventually(() -> !seen.events.isEmpty(), "the first line");
    JsonObject first = seen.events.get(0);
    assertEquals("snapshot", first.getString("type"));
    assertEquals(1, first.getJsonArray("entries").size(), first.encode());
    long heldMillis = (System.nanoTime() - asked) / 1_000_000;
    assertTrue(heldMillis <= 6000 + 2000, "held for " + heldMillis + " ms (warm-up 6 s: 1.5 renewal periods)");
    // A watcher of this registry's own version is not held.
    Seen current = new Seen();
    String version = first.getString("version");
    long t0 = System.nanoTime();
    await(caller.watchRegistry(version, Duration.ofSeconds(15), current.events::add));
    eventually(() -> !current.events.isEmpty(), "the catch-up");
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 3000, "not held");
  }

  /** What a node sees when it sends {@code body} to PUT /v1/registry/self with its own certificate. */
  private JsonObject put(NodeIdentity id, JsonObject body, int[] status) throws Exception {
    HttpClient raw = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate()))))
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(Pem.encode(id.certificate())))
            .setKeyValue(Buffer.buffer(Pem.encode(id.key())))));
    try {
      return await(raw.request(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
              .setPort(authority.port()).setURI(AuthorityClient.REGISTRY_SELF))
          .compose(r -> r.send(body.toBuffer()))
          .compose(resp -> {
            status[0] = resp.statusCode();
            return resp.body();
          }).map(Buffer::toJsonObject));
    } finally {
      raw.close();
    }
  }

  /** Attack: a node claims another node's id in the body. The certificate decides; nothing is registered. */
  @Test
  void aNodeCannotRegisterUnderAnotherNodesId() throws Exception {
    AuthorityClient mallory = enrolled("mallory");
    int[] status = {0};
    JsonObject answer = put(mallory.identity(), new JsonObject().put("node", "billing-1")
        .put("services", new JsonArray().add("orders")).put("endpoint", new JsonObject().put("host", "10.6.6.6")
            .put("port", 7443)), status);
    assertEquals(403, status[0]);
    assertEquals("wrong_node", answer.getString("reason"));
    assertTrue(authority.serviceRegistry().entries().isEmpty());
    assertEquals(1L, authority.outcomes().get("register.wrong_node"));

    // Without the claim the entry is mallory's own, never billing-1's.
    await(mallory.register(List.of("orders"), "10.6.6.6", 7443));
    assertEquals(List.of("mallory"), authority.serviceRegistry().entries().stream().map(Registration::node).toList());
  }

  /** Attack: a node registers a service that registry.owners reserves for other nodes. */
  @Test
  void aNodeCannotRegisterAServiceItDoesNotOwn() throws Exception {
    AuthorityClient mallory = enrolled("mallory");
    Throwable e = failure(mallory.register(List.of("orders", "billing"), "10.6.6.6", 7443));
    assertTrue(e instanceof AuthorityClient.RecoveryException r && "not_owner".equals(r.reason()), e.toString());
    assertTrue(authority.serviceRegistry().entries().isEmpty(), "nothing of the request is registered");
    assertEquals(1L, authority.outcomes().get("register.not_owner"));
    // Bad names and too many services are refused too.
    Throwable bad = failure(mallory.register(List.of("../etc"), "10.6.6.6", 7443));
    assertTrue(bad instanceof AuthorityClient.RecoveryException r && "invalid".equals(r.reason()), bad.toString());
    // billing's owner may.
    await(enrolled("billing-1").register(List.of("billing"), "10.0.0.7", 7443));
    assertTrue(registered("billing-1"));
  }

  /** Attack: reading the registry without a node certificate, or with a revoked one. */
  @Test
  void watchingNeedsALiveNodeCertificate() throws Exception {
    await(enrolled("billing-1").register(List.of("billing"), "10.0.0.7", 7443));
    HttpClient anonymous = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate())))));
    int status = await(anonymous.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(authority.port()).setURI(AuthorityClient.REGISTRY_WATCH)).compose(r -> r.send())
        .map(resp -> resp.statusCode()));
    assertEquals(403, status);
    assertEquals(1L, authority.outcomes().get("watch.no_certificate"));

    AuthorityClient spy = enrolled("spy");
    await(vertx.executeBlocking(() -> authority.revokeNode("spy")));
    Throwable e = failure(spy.watchRegistry(null, Duration.ofSeconds(10), x -> { }));
    assertTrue(e instanceof AuthorityClient.RecoveryException r && "revoked".equals(r.reason()), e.toString());
    // A revoked node's own entry leaves the registry with it.
    AuthorityClient gone = enrolled("gone");
    await(gone.register(List.of("orders"), "10.0.0.9", 7443));
    assertTrue(registered("gone"));
    long lapsed = authority.serviceRegistry().expiredCount();
    await(vertx.executeBlocking(() -> authority.revokeNode("gone")));
    assertTrue(!registered("gone"));
    assertEquals(lapsed, authority.serviceRegistry().expiredCount(), "removed by the revocation, not by its lease");
  }

  /**
   * Attack: a forged watch. A member of the mesh with a certificate that passes TLS (serverAuth,
   * the host's name) but is not the authority's serves a registry of its choosing: the node refuses
   * the stream before it reads a line.
   */
  @Test
  void aWatchFromAServerThatIsNotTheAuthorityIsRefused() throws Exception {
    KeyPair kp = NodeCertificates.newKeyPair(random);
    X509Certificate forged = issue(kp.getPublic(), "localhost", "sscmic://node/localhost");
    AuthorityVerticle fake = startAuthority(vertx, ca, tokens, clock, options(), random, Revocations.none(), forged,
        kp.getPrivate());
    AuthorityClient real = enrolled("victim");
    fake.serviceRegistry().register(new Registration("billing-1", List.of("billing"), "10.6.6.6", 7443),
        Duration.ofMinutes(1).toNanos());
    AuthorityClient victim = new AuthorityClient(vertx, "localhost", fake.port(), ca.certificate(), "victim", random)
        .identity(real.identity());
    Seen seen = new Seen();
    Throwable e = failure(victim.watchRegistry(null, Duration.ofSeconds(10), seen.events::add));
    assertTrue(e.getMessage().contains("not the mesh's authority"), e.toString());
    Thread.sleep(200);
    assertTrue(seen.events.isEmpty(), "no line of the forged registry was read: " + seen.events);
  }

  private X509Certificate issue(java.security.PublicKey pub, String cn, String uri) throws Exception {
    Instant now = Instant.now();
    var b = new JcaX509v3CertificateBuilder(ca.certificate(), new BigInteger(64, random), Date.from(now.minusSeconds(60)),
        Date.from(now.plusSeconds(3600)), new X500Name("CN=" + cn), pub)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
            KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}))
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.uniformResourceIdentifier, uri),
            new GeneralName(GeneralName.dNSName, "localhost")}));
    return new JcaX509CertificateConverter().getCertificate(b.build(NodeCertificates.signer(ca.key())));
  }
}
