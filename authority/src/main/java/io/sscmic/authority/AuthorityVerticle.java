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
import java.security.PrivateKey;
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
 *   <li>{@code POST /v1/renew {csr}}: a node with a valid certificate gets a new one for a new key
 *       before the old one expires.</li>
 *   <li>{@code GET /v1/epoch}: N and Tc only, for nodes that hold the seed (method 1, off unless
 *       enabled).</li>
 * </ul>
 * Client certificates are checked here rather than in the TLS layer so that a refusal carries its
 * reason (another CA, expired) in an HTTP 403 and a counter.
 */
public final class AuthorityVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(AuthorityVerticle.class.getName());
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64 = Base64.getEncoder();

  /** Settings of the authority role. */
  public record Options(SocketAddress listen, Duration certificateValidity, boolean method1) {
  }

  private final Options options;
  private final Revocations revocations;
  private final MeshCa ca;
  private final X509Certificate serverCert;
  private final PrivateKey serverKey;
  private final EnrollmentTokens tokens;
  private final KeySchedule schedule;
  private final EpochClock clock;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastRecovery = new ConcurrentHashMap<>();
  /** The latest certificate expiry seen per node (issued, renewed or presented) since this process started. */
  private final Map<String, Instant> certificateExpiry = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private HttpServer server;

  /** @param registry receives {@code sscmic_authority_requests_total{op,outcome}} */
  public AuthorityVerticle(Options options, MeshCa ca, X509Certificate serverCert, PrivateKey serverKey,
                           EnrollmentTokens tokens, KeySchedule schedule, EpochClock clock, MeterRegistry registry) {
    this(options, ca, serverCert, serverKey, tokens, schedule, clock, registry, Revocations.none());
  }

  /** @param revocations nodes refused at enrollment, recovery and renewal */
  public AuthorityVerticle(Options options, MeshCa ca, X509Certificate serverCert, PrivateKey serverKey,
                           EnrollmentTokens tokens, KeySchedule schedule, EpochClock clock, MeterRegistry registry,
                           Revocations revocations) {
    this.revocations = revocations;
    this.registry = registry;
    this.options = options;
    this.ca = ca;
    this.serverCert = serverCert;
    this.serverKey = serverKey;
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
    server = vertx.createHttpServer(new HttpServerOptions()
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(Pem.encode(serverCert)))
            .setKeyValue(Buffer.buffer(Pem.encode(serverKey))))
        .setTrustOptions(TrustOptions.wrap(AnyClientCertificate.factory()))
        .setClientAuth(ClientAuth.REQUEST))
        .requestHandler(router);
    return server.listen(options.listen())
        .onSuccess(s -> LOG.info(() -> "authority: listening on https://" + options.listen().host() + ":"
            + s.actualPort() + (options.method1() ? " (recovery methods 1 and 2)" : " (recovery method 2)")));
  }

  @Override
  public Future<?> stop() {
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

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, k -> {
      int dot = k.indexOf('.');
      return Counter.builder("sscmic.authority.requests")
          .description("Requests to the authority by operation and outcome (ok or the refusal reason)")
          .tag("node", NodeCertificates.AUTHORITY_ID).tag("op", k.substring(0, dot)).tag("outcome", k.substring(dot + 1))
          .register(registry);
    }).increment();
  }

  private void refuse(RoutingContext rc, int status, String outcome, String reason) {
    count(outcome);
    LOG.warning(() -> "authority: refused " + rc.request().path() + " from " + rc.request().remoteAddress() + ": "
        + reason);
    rc.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", reason).encode());
  }

  private void enroll(RoutingContext rc) {
    JsonObject body;
    try {
      body = rc.body().asJsonObject();
    } catch (Exception e) {
      body = null;
    }
    if (body == null || body.getString("token") == null || body.getString("csr") == null) {
      refuse(rc, 400, "enroll.malformed", "expected JSON {node, token, csr}");
      return;
    }
    String token = body.getString("token");
    String csrPem = body.getString("csr");
    String claimed = body.getString("node", "");
    vertx.executeBlocking(() -> {
      String node;
      try {
        node = tokens.redeem(token, Instant.now());
      } catch (IllegalArgumentException e) {
        String reason = e.getMessage();
        String outcome = reason.contains("expired") ? "enroll.token_expired" : reason.contains("used")
            ? "enroll.token_used" : "enroll.token_invalid";
        return new Object[] {outcome, reason};
      } catch (java.io.UncheckedIOException e) {
        // The used-token file could not be written (a full disk): the token stays unused, try again later.
        return new Object[] {"enroll.state_write_failed", e.getMessage()};
      }
      if (!claimed.isEmpty() && !claimed.equals(node)) {
        return new Object[] {"enroll.wrong_node", "the token is for '" + node + "', not '" + claimed + "'"};
      }
      if (revocations.isRevoked(node)) {
        return new Object[] {"enroll.revoked", "node '" + node + "' is revoked"};
      }
      try {
        X509Certificate cert = ca.issueNode(Pem.csr(csrPem), node, options.certificateValidity());
        return new Object[] {"enroll.ok", cert, node};
      } catch (IllegalArgumentException e) {
        return new Object[] {"enroll.wrong_node", e.getMessage()};
      }
    }).onComplete(ar -> {
      if (ar.failed()) {
        refuse(rc, 500, "enroll.error", ar.cause().toString());
        return;
      }
      Object[] r = ar.result();
      if (!"enroll.ok".equals(r[0])) {
        refuse(rc, "enroll.state_write_failed".equals(r[0]) ? 503 : 403, (String) r[0], (String) r[1]);
        return;
      }
      X509Certificate cert = (X509Certificate) r[1];
      count("enroll.ok");
      sawCertificate((String) r[2], cert);
      LOG.info(() -> "authority: enrolled node '" + r[2] + "', certificate valid until " + cert.getNotAfter().toInstant());
      rc.response().putHeader("content-type", "application/json").end(new JsonObject()
          .put("certificate", Pem.encode(cert)).put("ca", Pem.encode(ca.certificate())).encode());
    });
  }

  /** The calling node's id from its TLS client certificate, or null after answering 403. */
  private String callerNode(RoutingContext rc, String op) {
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
    try {
      String node = ca.verifyNode((X509Certificate) chain.get(0), Instant.now());
      if (NodeCertificates.AUTHORITY_ID.equals(node)) {
        refuse(rc, 403, op + ".wrong_certificate", "not a node certificate");
        return null;
      }
      if (revocations.isRevoked(node)) {
        refuse(rc, 403, op + ".revoked", "node '" + node + "' is revoked");
        return null;
      }
      sawCertificate(node, (X509Certificate) chain.get(0));
      return node;
    } catch (IllegalArgumentException e) {
      refuse(rc, 403, op + (e.getMessage().contains("expired") ? ".certificate_expired" : ".foreign_certificate"),
          e.getMessage());
      return null;
    }
  }

  private void recover(RoutingContext rc) {
    String node = callerNode(rc, "recover");
    if (node == null) {
      return;
    }
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
    vertx.executeBlocking(() -> {
      ChainAnchor next = schedule.pending();
      byte[][] encCt = RecoveryCrypto.seal(key, node, state.epoch(), nonce, state,
          next != null && next.epoch() > state.epoch() ? next : null);
      byte[] sig = RecoveryCrypto.sign(serverKey,
          RecoveryCrypto.signedBytes(node, state.epoch(), nonce, key, encCt[0], encCt[1]));
      return new JsonObject().put("node", node).put("epoch", state.epoch())
          .put("genesis", clock.genesis().toString()).put("intervalMillis", clock.interval().toMillis())
          .put("enc", B64.encodeToString(encCt[0])).put("ct", B64.encodeToString(encCt[1]))
          .put("signature", B64.encodeToString(sig)).put("authority", Pem.encode(serverCert));
    }).onComplete(ar -> {
      if (ar.failed()) {
        refuse(rc, 500, "recover.error", ar.cause().toString());
        return;
      }
      count("recover.ok");
      // The first recovery of a node is news; its periodic refreshes (authority.refresh) are counted, not logged.
      boolean first = lastRecovery.put(node, Instant.now()) == null;
      LOG.log(first ? java.util.logging.Level.INFO : java.util.logging.Level.FINE,
          () -> "authority: node '" + node + "' recovered its key state at epoch " + state.epoch());
      rc.response().putHeader("content-type", "application/json").end(ar.result().encode());
    });
  }

  /** A node renews its certificate while the current one is valid: same node id, new key. */
  private void renew(RoutingContext rc) {
    String node = callerNode(rc, "renew");
    if (node == null) {
      return;
    }
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
    String csr = csrPem;
    vertx.executeBlocking(() -> ca.issueNode(Pem.csr(csr), node, options.certificateValidity()))
        .onComplete(ar -> {
          if (ar.failed()) {
            refuse(rc, 403, "renew.wrong_node", ar.cause().getMessage());
            return;
          }
          count("renew.ok");
          sawCertificate(node, ar.result());
          LOG.info(() -> "authority: renewed the certificate of node '" + node + "' until "
              + ar.result().getNotAfter().toInstant());
          rc.response().putHeader("content-type", "application/json").end(new JsonObject()
              .put("certificate", Pem.encode(ar.result())).put("ca", Pem.encode(ca.certificate())).encode());
        });
  }

  private void epoch(RoutingContext rc) {
    if (!options.method1()) {
      refuse(rc, 404, "epoch.disabled", "recovery method 1 is disabled on this authority");
      return;
    }
    String node = callerNode(rc, "epoch");
    if (node == null) {
      return;
    }
    KeyState state = schedule.current();
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
