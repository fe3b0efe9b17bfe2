package io.sscmic.authority;

import io.sscmic.keysyn.pki.NodeCertificates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.authority.ca.Revocations;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.recovery.RecoveryCrypto;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.authority.ca.MeshCa;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.sscmic.authority.ca.IssuedCertificates;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Set;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.X509TrustManager;

/**
 * The management server: HTTPS, node certificates required for everything but enrollment.
 *
 * <ul>
 *   <li>{@code POST /v1/enroll {node, token, csr}}: a one-time token buys a certificate for the
 *       CSR's key (generated on the node; the key never travels).</li>
 *   <li>{@code POST /v1/recover {nonce, key}}: the key state r, sealed to the request's fresh key
 *       and signed by the authority (recovery method 2).</li>
 *   <li>{@code POST /v1/renew {csr}}: a node with its live certificate gets a new one for a new key
 *       before the old one expires; the new one replaces it (one live certificate per node, see
 *       {@link IssuedCertificates}), and none outlives the enrollment by more than
 *       {@link Options#maxRenewalAge}.</li>
 *   <li>{@code GET /v1/epoch}: N and Tc only, for nodes that hold the seed (method 1, off unless
 *       enabled).</li>
 * </ul>
 * TLS 1.3 only. Client certificates are checked here rather than in the TLS layer so that a
 * refusal carries its reason (another CA, expired, not for clients, revoked, replaced) in an HTTP
 * 403 and a counter. Enrollment checks everything before it spends the token. Answers to refused
 * requests carry a fixed sentence and the reason code; exception text goes to the log only.
 */
public final class AuthorityVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(AuthorityVerticle.class.getName());
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64 = Base64.getEncoder();

  /**
   * Settings of the authority role.
   *
   * @param maxRenewalAge how long after its enrollment a node may keep renewing its certificate;
   *     then it needs a new enrollment token (a copied key cannot be renewed for ever)
   */
  public record Options(SocketAddress listen, Duration certificateValidity, boolean method1, Duration maxRenewalAge,
                        io.sscmic.authority.registry.RegistrySettings registry) {
    public static final Duration DEFAULT_MAX_RENEWAL_AGE = Duration.ofDays(30);

    public Options(SocketAddress listen, Duration certificateValidity, boolean method1) {
      this(listen, certificateValidity, method1, DEFAULT_MAX_RENEWAL_AGE);
    }

    public Options(SocketAddress listen, Duration certificateValidity, boolean method1, Duration maxRenewalAge) {
      this(listen, certificateValidity, method1, maxRenewalAge, io.sscmic.authority.registry.RegistrySettings.DEFAULTS);
    }
  }

  /** The only TLS version the authority speaks, and its nodes with it. */
  public static final Set<String> TLS_PROTOCOLS = Set.of("TLSv1.3");

  private final Options options;
  private final Revocations revocations;
  private final IssuedCertificates certificates;
  private final MeshCa ca;
  /** The authority's certificate and key: TLS and recovery signatures; swapped together on rotation. */
  private volatile Identity identity;
  private final EnrollmentTokens tokens;
  private final KeySchedule schedule;
  private final EpochClock clock;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Counter> conflicts = new ConcurrentHashMap<>();
  /** Superseded serials already reported in the log (each is counted every time, logged once). */
  private final Set<BigInteger> reported = ConcurrentHashMap.newKeySet();
  private final Map<String, Instant> lastRecovery = new ConcurrentHashMap<>();
  private final Map<String, NodeContact> contacts = new ConcurrentHashMap<>();
  /** The latest certificate expiry seen per node (issued, renewed or presented) since this process started. */
  private final Map<String, Instant> certificateExpiry = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private HttpServer server;
  /** The service registry (issue 17): who serves what, under leases, watched by sidecars. */
  private final io.sscmic.authority.registry.ServiceRegistry services = new io.sscmic.authority.registry.ServiceRegistry();
  private io.sscmic.authority.registry.RegistryEndpoints registryEndpoints;
  /** The mesh policy and the revocations, on the registry watch (issue 17 item 3). */
  private final io.sscmic.authority.policy.PolicyFeed policy = new io.sscmic.authority.policy.PolicyFeed();

  /** @param registry receives {@code sscmic_authority_requests_total{op,outcome}} */
  public AuthorityVerticle(Options options, MeshCa ca, X509Certificate serverCert, PrivateKey serverKey,
                           EnrollmentTokens tokens, KeySchedule schedule, EpochClock clock, MeterRegistry registry) {
    this(options, ca, serverCert, serverKey, tokens, schedule, clock, registry, Revocations.none());
  }

  /** @param revocations certificates and nodes refused at recovery and renewal */
  public AuthorityVerticle(Options options, MeshCa ca, X509Certificate serverCert, PrivateKey serverKey,
                           EnrollmentTokens tokens, KeySchedule schedule, EpochClock clock, MeterRegistry registry,
                           Revocations revocations) {
    this(options, ca, serverCert, serverKey, tokens, schedule, clock, registry, revocations,
        IssuedCertificates.inMemory());
  }

  /** @param certificates each node's one live certificate and enrollment time */
  public AuthorityVerticle(Options options, MeshCa ca, X509Certificate serverCert, PrivateKey serverKey,
                           EnrollmentTokens tokens, KeySchedule schedule, EpochClock clock, MeterRegistry registry,
                           Revocations revocations, IssuedCertificates certificates) {
    this.revocations = revocations;
    policy.revoked(revocations.all());
    this.certificates = certificates;
    this.registry = registry;
    this.options = options;
    this.ca = ca;
    this.identity = new Identity(serverCert, serverKey);
    this.tokens = tokens;
    this.schedule = schedule;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.post("/v1/enroll").handler(this::enroll);
    router.post("/v1/recover").handler(this::recover);
    router.post("/v1/renew").handler(this::renew);
    router.get("/v1/epoch").handler(this::epoch);
    registryEndpoints = new io.sscmic.authority.registry.RegistryEndpoints(vertx, services, options.registry(),
        new io.sscmic.authority.registry.RequestGate() {
          @Override
          public String caller(RoutingContext rc, String op) {
            Caller c = callerNode(rc, op);
            return c == null ? null : c.node();
          }

          @Override
          public void refuse(RoutingContext rc, int status, String outcome, String message) {
            AuthorityVerticle.this.refuse(rc, status, outcome, message);
          }

          @Override
          public void count(String outcome) {
            AuthorityVerticle.this.count(outcome);
          }
        }, registry, NodeCertificates.AUTHORITY_ID, policy);
    registryEndpoints.mount(router);
    // Replicas on etcd (issue 17 item 4): a revocation or re-admission made on another replica
    // takes effect here as one read from this machine's file does.
    revocations.onSharedChange(() -> vertx.executeBlocking(this::reloadRevocations).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warning(() -> "authority: cannot read the shared revocations: " + ar.cause().getMessage());
      } else if (!ar.result().isEmpty()) {
        LOG.warning(() -> "authority: revoked " + ar.result() + " on another replica: off the roster the watchers"
            + " get; their certificates can no longer recover or renew here");
      }
    }));
    io.vertx.core.net.ServerSSLOptions tls = tls(identity);
    server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
            .setEnabledSecureTransportProtocols(tls.getEnabledSecureTransportProtocols())
            .setKeyCertOptions(tls.getKeyCertOptions()).setTrustOptions(tls.getTrustOptions())
            .setClientAuth(tls.getClientAuth()))
        .requestHandler(router);
    return server.listen(options.listen())
        .onSuccess(s -> LOG.info(() -> "authority: listening on https://" + options.listen().host() + ":"
            + s.actualPort() + (options.method1() ? " (recovery methods 1 and 2)" : " (recovery method 2)")));
  }

  private record Identity(X509Certificate certificate, PrivateKey key) {
  }

  /** TLS 1.3 only; any client certificate through the handshake, checked per request ({@link #callerNode}). */
  private static io.vertx.core.net.ServerSSLOptions tls(Identity id) {
    return new io.vertx.core.net.ServerSSLOptions()
        .setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(Pem.encode(id.certificate())))
            .setKeyValue(Buffer.buffer(Pem.encode(id.key()))))
        .setTrustOptions(TrustOptions.wrap(AnyClientCertificate.factory()))
        .setClientAuth(ClientAuth.REQUEST);
  }

  /**
   * Serves a rotated certificate and key from now on (new TLS connections, new recovery
   * signatures); connections open now keep the old one until they close.
   */
  public Future<Void> useCertificate(X509Certificate certificate, PrivateKey key) {
    Identity next = new Identity(certificate, key);
    return server.updateSSLOptions(tls(next)).map(updated -> {
      identity = next;
      LOG.info(() -> "authority: now serving certificate serial " + certificate.getSerialNumber().toString(16)
          + ", valid until " + certificate.getNotAfter().toInstant());
      return null;
    });
  }

  /** The certificate served now. */
  public X509Certificate certificate() {
    return identity.certificate();
  }

  @Override
  public Future<?> stop() {
    if (registryEndpoints != null) {
      registryEndpoints.stop();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  public int port() {
    return server.actualPort();
  }

  /** Counts by outcome, e.g. {@code enroll.ok}, {@code enroll.token_used}, {@code recover.ok}. */
  public Map<String, Long> outcomes() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    outcomes.forEach((k, v) -> copy.put(k, (long) v.count()));
    return copy;
  }

  /** Times each node id was seen with a certificate for another key than its live one. */
  public Map<String, Long> keyConflicts() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    conflicts.forEach((k, v) -> copy.put(k, (long) v.count()));
    return copy;
  }

  /** The service registry: who serves what now (the dashboard lists it). */
  public io.sscmic.authority.registry.ServiceRegistry serviceRegistry() {
    return services;
  }

  /** Each node's live certificate and enrollment time. */
  public IssuedCertificates certificates() {
    return certificates;
  }

  /**
   * Each node this authority has enrolled, renewed or been called by since it started, with the
   * expiry of the newest certificate seen for it (the dashboard's list of enrolled nodes).
   */
  public Map<String, Instant> certificateExpiry() {
    return Map.copyOf(certificateExpiry);
  }

  private void sawCertificate(String node, X509Certificate cert) {
    certificateExpiry.merge(node, cert.getNotAfter().toInstant(), (a, b) -> a.isAfter(b) ? a : b);
  }

  /** When each node last recovered its key state. */
  public Map<String, Instant> lastRecovery() {
    return Map.copyOf(lastRecovery);
  }

  /**
   * A node's last successful recovery as it described itself: when its process (client) started and
   * its version (both as the node sent them, unverified: for the log and the console), the epoch it
   * got, and the pending re-seed's epoch if the answer carried one (the node holds that chain now).
   */
  public record NodeContact(Instant at, String started, String version, long epoch, Long reseedEpoch) {
  }

  /** Each node's last successful recovery since this process started. */
  public Map<String, NodeContact> contacts() {
    return Map.copyOf(contacts);
  }

  /**
   * Revokes every certificate of {@code node}: refused from now on until it enrolls again with a
   * new token. Blocking (files): call on a worker.
   *
   * @return false when it was already revoked
   */
  public boolean revokeNode(String node) throws java.io.IOException {
    boolean fresh = revocations.revoke(node);
    certificates.remove(node);
    services.deregister(node);
    policy.revoked(revocations.all());
    return fresh;
  }

  /**
   * Revokes one certificate by serial; the node's other certificate, if it is live, is untouched.
   * Blocking (files): call on a worker.
   *
   * @return the node the serial was live for, or null (unknown or already dead)
   */
  public String revokeSerial(BigInteger serial) throws java.io.IOException {
    revocations.revoke(serial);
    String node = certificates.revoke(serial);
    if (node != null) {
      services.deregister(node);
    }
    policy.revoked(revocations.all());
    return node;
  }

  /**
   * Re-reads the revocations file, which {@code sscmic policy revoke} writes while the authority
   * runs: each newly revoked node loses its live certificate and registry entry as with
   * {@link #revokeNode}, and the watchers learn it. Blocking (files): call on a worker.
   *
   * @return the node ids and serials revoked since the last read
   */
  public Set<String> reloadRevocations() throws java.io.IOException {
    Set<String> added = revocations.reload();
    for (String what : added) {
      if (what.startsWith("serial:")) {
        String node = certificates.revoke(new BigInteger(what.substring("serial:".length()), 16));
        if (node != null) {
          services.deregister(node);
        }
      } else {
        certificates.remove(what);
        services.deregister(what);
      }
    }
    policy.revoked(revocations.all());
    return added;
  }

  /** Whether the revocations are shared with other replicas (etcd, issue 17 item 4). */
  public boolean sharesRevocations() {
    return revocations.isShared();
  }

  /** The mesh policy and revocations sent on the registry watch. */
  public io.sscmic.authority.policy.PolicyFeed policyFeed() {
    return policy;
  }

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, k -> {
      int dot = k.indexOf('.');
      return Counter.builder("sscmic.authority.requests")
          .description("Requests to the authority by operation and outcome (ok or the refusal reason)")
          .tag("node", NodeCertificates.AUTHORITY_ID).tag("op", k.substring(0, dot)).tag("outcome", k.substring(dot + 1))
          .register(registry);
    }).increment();
  }

  /** Refuses with a message fit for the caller; nothing else goes back. */
  private void refuse(RoutingContext rc, int status, String outcome, String message) {
    refuse(rc, status, outcome, message, null);
  }

  /**
   * Refuses with {@code message} to the caller and {@code detail} (exception text, paths) in the
   * log only.
   */
  private void refuse(RoutingContext rc, int status, String outcome, String message, String detail) {
    count(outcome);
    LOG.warning(() -> "authority: refused " + rc.request().path() + " from " + rc.request().remoteAddress() + ": "
        + message + (detail == null || detail.equals(message) ? "" : " (" + detail + ")"));
    rc.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", message).put("reason", outcome.substring(outcome.indexOf('.') + 1))
            .encode());
  }

  /** The result of an enrollment attempt, worked out on a worker. */
  private record Enrolled(String outcome, int status, String message, String detail, X509Certificate cert,
                          String node) {
    static Enrolled refused(String outcome, int status, String message, String detail) {
      return new Enrolled(outcome, status, message, detail, null, null);
    }
  }

  /**
   * Checks everything (token, claimed id, reserved id, CSR) before the token is spent: a request
   * that fails any check leaves the token usable.
   */
  private void enroll(RoutingContext rc) {
    JsonObject body;
    try {
      body = rc.body().asJsonObject();
    } catch (Exception e) {
      body = null;
    }
    if (body == null || !(body.getValue("token") instanceof String) || !(body.getValue("csr") instanceof String)
        || !(body.getValue("node", "") instanceof String)) {
      refuse(rc, 400, "enroll.malformed", "expected JSON {node, token, csr}");
      return;
    }
    String token = body.getString("token");
    String csrPem = body.getString("csr");
    String claimed = body.getString("node", "");
    vertx.executeBlocking(() -> enroll(token, csrPem, claimed)).onComplete(ar -> {
      if (ar.failed()) {
        refuse(rc, 500, "enroll.error", "internal error", ar.cause().toString());
        return;
      }
      Enrolled r = ar.result();
      if (r.cert() == null) {
        refuse(rc, r.status(), r.outcome(), r.message(), r.detail());
        return;
      }
      count("enroll.ok");
      sawCertificate(r.node(), r.cert());
      LOG.info(() -> "authority: enrolled node '" + r.node() + "', certificate serial " + r.cert().getSerialNumber()
          .toString(16) + " valid until " + r.cert().getNotAfter().toInstant());
      rc.response().putHeader("content-type", "application/json").end(new JsonObject()
          .put("certificate", Pem.encode(r.cert())).put("ca", Pem.encode(ca.certificate())).encode());
    });
  }

  /** Blocking: the token file and the certificates file. */
  private Enrolled enroll(String token, String csrPem, String claimed) {
    Instant now = Instant.now();
    EnrollmentTokens.Checked checked;
    try {
      checked = tokens.check(token, now);
    } catch (EnrollmentTokens.TokenRefused e) {
      String outcome = switch (e.reason()) {
        case EXPIRED -> "enroll.token_expired";
        case USED -> "enroll.token_used";
        default -> "enroll.token_invalid";
      };
      return Enrolled.refused(outcome, 403, e.getMessage(), null);
    }
    String node = checked.node();
    if (!claimed.isEmpty() && !claimed.equals(node)) {
      return Enrolled.refused("enroll.wrong_node", 403, "the token is for '" + node + "', not '" + claimed + "'", null);
    }
    PublicKey key;
    try {
      key = MeshCa.checkCsr(Pem.csr(csrPem), node);
    } catch (MeshCa.CsrRefused e) {
      boolean reserved = NodeCertificates.isReserved(node);
      return Enrolled.refused(reserved ? "enroll.reserved" : e.publicMessage().startsWith("the CSR is for")
          ? "enroll.wrong_node" : "enroll.bad_csr", 403, e.publicMessage(), e.getMessage());
    } catch (IllegalArgumentException e) {
      return Enrolled.refused("enroll.bad_csr", 400, "the CSR is not a PEM certificate request", e.getMessage());
    }
    // Everything checked: now the token is spent (atomically: of two requests with it, one wins).
    try {
      tokens.consume(checked, now);
    } catch (EnrollmentTokens.TokenRefused e) {
      return Enrolled.refused("enroll.token_used", 403, e.getMessage(), null);
    } catch (java.io.UncheckedIOException e) {
      // The used-token file could not be written (a full disk): the token stays unused, try again later.
      return Enrolled.refused("enroll.state_write_failed", 503,
          "the authority cannot record the enrollment now; the token is still unused, try again later",
          e.getMessage());
    }
    X509Certificate cert;
    try {
      cert = ca.issueNode(key, node, now.plus(min(options.certificateValidity(), options.maxRenewalAge())));
    } catch (java.io.UncheckedIOException e) {
      // The replicas' shared serial counter (etcd) cannot be reached: nothing issued, the token given back.
      return notRecorded(checked, now, e.getMessage());
    }
    try {
      certificates.enrolled(node, cert, now);
      if (revocations.readmit(node)) {
        policy.revoked(revocations.all());
        LOG.warning(() -> "authority: node '" + node + "' was revoked and is re-admitted by a new enrollment token");
      }
    } catch (java.io.IOException e) {
      return notRecorded(checked, now, e.getMessage());
    }
    return new Enrolled("enroll.ok", 200, null, null, cert, node);
  }

  /**
   * The enrollment spent the token but could not be recorded: the token is given back, and the
   * node told whether it was (before, it was always told "still unused", and a token that stayed
   * spent was then refused as used at every retry with no word of why).
   */
  private Enrolled notRecorded(EnrollmentTokens.Checked checked, Instant now, String why) {
    if (tokens.release(checked, now)) {
      return Enrolled.refused("enroll.state_write_failed", 503,
          "the authority cannot record the enrollment now; the token is still unused, try again later", why);
    }
    return Enrolled.refused("enroll.state_write_failed", 503,
        "the authority cannot record the enrollment now and could not give the token back: it stays spent, "
            + "the node needs a new token", why);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** A node that has shown a certificate of this mesh: its id, the certificate, and how it stands. */
  private record Caller(String node, X509Certificate cert, IssuedCertificates.Standing standing) {
  }

  /** The calling node from its TLS client certificate, or null after answering 403. */
  private Caller callerNode(RoutingContext rc, String op) {
    List<Certificate> chain;
    try {
      chain = rc.request().connection().peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = List.of();
    }
    if (chain == null || chain.isEmpty()) {
      refuse(rc, 403, op + ".no_certificate", "a node certificate is required (enroll first)");
      return null;
    }
    X509Certificate cert = (X509Certificate) chain.get(0);
    String node;
    try {
      node = ca.verifyNode(cert, Instant.now());
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      refuse(rc, 403, op + (m.contains("expired") ? ".certificate_expired" : m.contains("TLS client")
          ? ".wrong_certificate" : ".foreign_certificate"), m);
      return null;
    }
    if (NodeCertificates.isReserved(node)) {
      refuse(rc, 403, op + ".wrong_certificate", "not a node certificate");
      return null;
    }
    if (revocations.isRevoked(cert.getSerialNumber())) {
      refuse(rc, 403, op + ".revoked", "this certificate (serial " + cert.getSerialNumber().toString(16)
          + ") is revoked");
      return null;
    }
    if (revocations.isRevoked(node)) {
      refuse(rc, 403, op + ".revoked", "node '" + node + "' is revoked");
      return null;
    }
    IssuedCertificates.Standing standing = certificates.standing(node, cert, "renew".equals(op));
    if (standing == IssuedCertificates.Standing.SUPERSEDED) {
      reportSuperseded(node, cert);
      IssuedCertificates.Entry live = certificates.entry(node);
      refuse(rc, 403, op + ".superseded", live != null && live.active() != null
          ? "this certificate was replaced by a newer one for node '" + node + "'; enroll again with a new token"
          : "node '" + node + "' has no live certificate (revoked, or issued elsewhere); enroll again with a new token");
      return null;
    }
    sawCertificate(node, cert);
    return new Caller(node, cert, standing);
  }

  /**
   * A certificate the node's renewal replaced is still in use: two holders of one node id (a
   * copied key), or a node that lost its renewal answer. Counted every time, logged once per serial.
   */
  private void reportSuperseded(String node, X509Certificate cert) {
    IssuedCertificates.Entry live = certificates.entry(node);
    String presentedKey = IssuedCertificates.fingerprint(cert.getPublicKey());
    if (live == null || live.active() == null || presentedKey.equals(live.activeKey())) {
      return;
    }
    conflicts.computeIfAbsent(node, k -> Counter.builder("sscmic.authority.key.conflicts")
        .description("Requests with a replaced certificate of a node whose live certificate has another key (a "
            + "copied node key, or a renewal answer lost on the way)")
        .tag("node", NodeCertificates.AUTHORITY_ID).tag("client", k).register(registry)).increment();
    if (reported.add(cert.getSerialNumber())) {
      LOG.warning(() -> "authority: node '" + node + "' seen with two keys: a request with certificate serial "
          + cert.getSerialNumber().toString(16) + " (key " + presentedKey.substring(0, 16) + ") while its live "
          + "certificate is serial " + live.active().toString(16) + " (key " + live.activeKey().substring(0, 16)
          + "). If the node did not renew just now, its key was copied: revoke the serial that is not the node's"
          + " (dashboard: revoke serial:<hex>) or revoke the node and enroll it again with a new token");
    }
  }

  /** Records the caller's certificate as in use (adopting one this authority has no record of). */
  private Future<Void> admit(Caller c) {
    if (c.standing() == IssuedCertificates.Standing.UNKNOWN) {
      return vertx.executeBlocking(() -> {
        certificates.adopt(c.node(), c.cert(), Instant.now());
        LOG.info(() -> "authority: node '" + c.node() + "' has no record here yet (an authority from before the "
            + "certificates file): its certificate serial " + c.cert().getSerialNumber().toString(16)
            + " is now its live one, and its renewal bound counts from now");
        return null;
      });
    }
    IssuedCertificates.Entry e = certificates.entry(c.node());
    if (e != null && !e.activeUsed()) {
      return vertx.executeBlocking(() -> {
        certificates.used(c.node(), c.cert().getSerialNumber());
        return null;
      });
    }
    return Future.succeededFuture();
  }

  private void recover(RoutingContext rc) {
    Caller caller = callerNode(rc, "recover");
    if (caller == null) {
      return;
    }
    String node = caller.node();
    JsonObject body;
    byte[] nonce;
    byte[] key;
    try {
      body = rc.body().asJsonObject();
      nonce = B64D.decode(body.getString("nonce"));
      key = B64D.decode(body.getString("key"));
    } catch (Exception e) {
      refuse(rc, 400, "recover.malformed", "expected JSON {nonce, key} in base64");
      return;
    }
    if (nonce.length != 32 || key.length != 32) {
      refuse(rc, 400, "recover.malformed", "nonce and key must be 32 bytes");
      return;
    }
    KeyState state = schedule.current();
    if (state == null) {
      refuse(rc, 503, "recover.not_ready", "the authority has no key state yet");
      return;
    }
    Identity signer = identity;
    admit(caller).compose(x -> vertx.executeBlocking(() -> {
      ChainAnchor next = schedule.pending();
      byte[][] encCt = RecoveryCrypto.seal(key, node, state.epoch(), nonce, state,
          next != null && next.epoch() > state.epoch() ? next : null);
      byte[] sig = RecoveryCrypto.sign(signer.key(),
          RecoveryCrypto.signedBytes(node, state.epoch(), nonce, key, encCt[0], encCt[1]));
      return new JsonObject().put("node", node).put("epoch", state.epoch())
          .put("genesis", clock.genesis().toString()).put("intervalMillis", clock.interval().toMillis())
          .put("enc", B64.encodeToString(encCt[0])).put("ct", B64.encodeToString(encCt[1]))
          .put("signature", B64.encodeToString(sig)).put("authority", Pem.encode(signer.certificate()));
    })).onComplete(ar -> {
      if (ar.failed()) {
        refuse(rc, 500, "recover.error", "internal error", ar.cause().toString());
        return;
      }
      count("recover.ok");
      // The first recovery of a node is news, and so is a node that started again (kill -9 and restart:
      // its client says when it started, and that changed); periodic refreshes (authority.refresh) are
      // counted and logged at FINE only.
      Instant now = Instant.now();
      boolean first = lastRecovery.put(node, now) == null;
      ChainAnchor handed = schedule.pending();
      NodeContact contact = new NodeContact(now, body.getString("started"), body.getString("version"),
          state.epoch(), handed != null && handed.epoch() > state.epoch() ? handed.epoch() : null);
      NodeContact before = contacts.put(node, contact);
      boolean restarted = !first && contact.started() != null && before != null
          && !contact.started().equals(before.started());
      LOG.log(first || restarted ? java.util.logging.Level.INFO : java.util.logging.Level.FINE,
          () -> "authority: node '" + node + "' recovered its key state at epoch " + state.epoch()
              + (restarted ? " after a restart (it started at " + contact.started() + ", before: "
                  + before.started() + ")" : ""));
      rc.response().putHeader("content-type", "application/json").end(ar.result().encode());
    });
  }

  /**
   * A node renews its certificate while the current one is valid: same node id, new key. The new
   * certificate replaces the presented one (which is dead from then on), and no certificate
   * outlives the node's enrollment by more than {@link Options#maxRenewalAge}.
   */
  private void renew(RoutingContext rc) {
    Caller caller = callerNode(rc, "renew");
    if (caller == null) {
      return;
    }
    String node = caller.node();
    String csrPem;
    try {
      csrPem = rc.body().asJsonObject().getString("csr");
    } catch (Exception e) {
      csrPem = null;
    }
    if (csrPem == null) {
      refuse(rc, 400, "renew.malformed", "expected JSON {csr}");
      return;
    }
    Instant now = Instant.now();
    IssuedCertificates.Entry entry = certificates.entry(node);
    Instant enrolled = entry == null ? now : entry.enrolled();
    Instant bound = enrolled.plus(options.maxRenewalAge());
    if (!now.isBefore(bound)) {
      refuse(rc, 403, "renew.reenroll_required", "node '" + node + "' enrolled more than "
          + options.maxRenewalAge() + " ago: it needs a new enrollment token (sscmic token --node " + node + ")");
      return;
    }
    String csr = csrPem;
    vertx.executeBlocking(() -> {
      PublicKey key;
      try {
        key = MeshCa.checkCsr(Pem.csr(csr), node);
      } catch (MeshCa.CsrRefused e) {
        return Enrolled.refused("renew.wrong_node", 403, e.publicMessage(), e.getMessage());
      } catch (IllegalArgumentException e) {
        return Enrolled.refused("renew.bad_csr", 400, "the CSR is not a PEM certificate request", e.getMessage());
      }
      Instant notAfter = now.plus(options.certificateValidity());
      X509Certificate fresh;
      try {
        fresh = ca.issueNode(key, node, notAfter.isAfter(bound) ? bound : notAfter);
      } catch (java.io.UncheckedIOException e) {
        return Enrolled.refused("renew.state_write_failed", 503, "the authority cannot record the renewal now; "
            + "try again later", e.getMessage());
      }
      try {
        certificates.renewed(node, caller.cert(), fresh, now);
      } catch (IllegalStateException e) {
        reportSuperseded(node, caller.cert());
        return Enrolled.refused("renew.superseded", 403, "this certificate was replaced by a newer one for node '"
            + node + "'; enroll again with a new token", null);
      } catch (java.io.IOException e) {
        return Enrolled.refused("renew.state_write_failed", 503, "the authority cannot record the renewal now; "
            + "try again later", e.getMessage());
      }
      return new Enrolled("renew.ok", 200, null, null, fresh, node);
    }).onComplete(ar -> {
      if (ar.failed()) {
        refuse(rc, 500, "renew.error", "internal error", ar.cause().toString());
        return;
      }
      Enrolled r = ar.result();
      if (r.cert() == null) {
        refuse(rc, r.status(), r.outcome(), r.message(), r.detail());
        return;
      }
      count("renew.ok");
      sawCertificate(node, r.cert());
      LOG.info(() -> "authority: renewed the certificate of node '" + node + "': serial "
          + r.cert().getSerialNumber().toString(16) + " until " + r.cert().getNotAfter().toInstant()
          + " replaces serial " + caller.cert().getSerialNumber().toString(16));
      rc.response().putHeader("content-type", "application/json").end(new JsonObject()
          .put("certificate", Pem.encode(r.cert())).put("ca", Pem.encode(ca.certificate())).encode());
    });
  }

  private void epoch(RoutingContext rc) {
    if (!options.method1()) {
      refuse(rc, 404, "epoch.disabled", "recovery method 1 is disabled on this authority");
      return;
    }
    Caller caller = callerNode(rc, "epoch");
    if (caller == null) {
      return;
    }
    KeyState state = schedule.current();
    if (state == null) {
      refuse(rc, 503, "epoch.not_ready", "the authority has no key state yet");
      return;
    }
    admit(caller).onFailure(e -> LOG.warning(() -> "authority: cannot record the certificate of node '"
        + caller.node() + "' as in use: " + e.getMessage()));
    count("epoch.ok");
    rc.response().putHeader("content-type", "application/json").end(new JsonObject()
        .put("epoch", state.epoch()).put("tc", state.tc()).put("genesis", clock.genesis().toString())
        .put("intervalMillis", clock.interval().toMillis()).encode());
  }

  /**
   * Lets any client certificate through the TLS handshake (the handshake still proves the client
   * holds its key); {@link #callerNode} then checks issuer and validity with a clear refusal.
   */
  private static final class AnyClientCertificate implements X509TrustManager {
    AnyClientCertificate() {
    }

    /**
     * As a factory: Vert.x 5.0.8's {@code TrustOptions.wrap(TrustManager)} needs SLF4J on the
     * class path, {@code wrap(TrustManagerFactory)} does not.
     */
    static javax.net.ssl.TrustManagerFactory factory() {
      javax.net.ssl.TrustManager[] managers = {new AnyClientCertificate()};
      javax.net.ssl.TrustManagerFactorySpi spi = new javax.net.ssl.TrustManagerFactorySpi() {
        @Override
        protected void engineInit(java.security.KeyStore ks) {
        }

        @Override
        protected void engineInit(javax.net.ssl.ManagerFactoryParameters spec) {
        }

        @Override
        protected javax.net.ssl.TrustManager[] engineGetTrustManagers() {
          return managers.clone();
        }
      };
      return new javax.net.ssl.TrustManagerFactory(spi, null, "sscmic-any-client") {
      };
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("server side only");
    }

    /** Empty: clients then present whatever certificate they hold, and a wrong one is named. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
