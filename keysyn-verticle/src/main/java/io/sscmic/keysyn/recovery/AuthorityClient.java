package io.sscmic.keysyn.recovery;

import io.sscmic.keysyn.pki.NodeCertificates;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.recovery.RecoveryCrypto;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * A node's side of the authority: enrollment (CSR with a key made here), and recovery of the key
 * state (method 2: r sealed to a fresh key of this request and signed by the authority; method 1:
 * N only, for a node that holds the seed). Checks everything it receives: the authority's
 * signature and certificate against the mesh CA, the node id, the request nonce, and the epoch
 * against the local clock.
 */
public final class AuthorityClient {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(AuthorityClient.class.getName());
  /**
   * Per authority address: how long the TCP connect may take before the next address is tried.
   * Short, because a replica whose host does not even answer a SYN in 2 s on a LAN is down or cut
   * off, and the node is not ready while it waits (a stopped process refuses at once).
   */
  public static final int CONNECT_TIMEOUT_MILLIS = 2000;
  /**
   * Per authority address: how long the TLS handshake may take once connected (a hung replica).
   * Longer than the connect: a loaded host (or a JVM warming up) can take seconds to handshake, and
   * giving up on a live replica costs more than waiting.
   */
  public static final int HANDSHAKE_TIMEOUT_MILLIS = 5000;
  /** Per authority address: how long an accepted request may go without an answer byte. */
  public static final int ANSWER_TIMEOUT_MILLIS = 10_000;
  private final Vertx vertx;
  /** Every address of the authority (its replicas), in the configured order. */
  private final java.util.List<Address> addresses;
  /** The index of the address that answered last: tried first next time. */
  private volatile int preferred;
  /** The address that answered last, for the log line when another one answers. */
  private volatile Address answeredLast;
  /** The mesh CA, or during a CA rotation the old and the new one (a bundle). */
  private final java.util.List<X509Certificate> cas;
  private final String nodeId;
  private final SecureRandom random;
  private HttpClient anonymous;
  private HttpClient authenticated;
  private NodeIdentity identity;
  /**
   * When this client (one per node start) was made. Sent with every recovery so that the authority
   * can tell a restarted node (a new value: logged at INFO) from a periodic refresh (logged at FINE);
   * the authority uses it for its log and console only, never for a decision.
   */
  private final java.time.Instant started = java.time.Instant.now();
  /** This build's version from the jar manifest ("dev" from classes), shown on the authority's console. */
  private static final String VERSION = java.util.Objects.requireNonNullElse(
      AuthorityClient.class.getPackage().getImplementationVersion(), "dev");

  public AuthorityClient(Vertx vertx, String host, int port, X509Certificate ca, String nodeId, SecureRandom random) {
    this(vertx, host, port, java.util.List.of(ca), nodeId, random);
  }

  /** @param cas the CAs to trust for the authority: one, or the old and the new while the CA is rotated */
  public AuthorityClient(Vertx vertx, String host, int port, java.util.List<X509Certificate> cas, String nodeId,
                         SecureRandom random) {
    this(vertx, java.util.List.of(new Address(host, port)), cas, nodeId, random);
  }

  /**
   * A client of an authority with several replicas (issue 17 item 4): every request goes to the
   * address that answered last and, when that one refuses the connection, does not complete a
   * handshake within {@link #CONNECT_TIMEOUT_MILLIS} or answers 5xx, to the next one in order.
   * An answer (a 4xx refusal, or an answer that fails a check here) is final: another replica of
   * the same mesh would say the same.
   */
  public AuthorityClient(Vertx vertx, java.util.List<Address> addresses, java.util.List<X509Certificate> cas,
                         String nodeId, SecureRandom random) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no authority address");
    }
    this.vertx = vertx;
    this.addresses = java.util.List.copyOf(addresses);
    this.cas = java.util.List.copyOf(cas);
    this.nodeId = nodeId;
    this.random = random;
  }

  /**
   * TLS 1.3 only, the mesh CA as the only trust anchor, and the host name checked; what is not
   * checked here (that the server is the authority, not some node of the mesh) {@link #post}
   * checks on the connection before it reads an answer.
   */
  private HttpClientOptions tls() {
    PemTrustOptions trust = new PemTrustOptions();
    cas.forEach(ca -> trust.addCertValue(Buffer.buffer(Pem.encode(ca))));
    return new HttpClientOptions().setSsl(true).setVerifyHost(true).setConnectTimeout(CONNECT_TIMEOUT_MILLIS)
        .setSslHandshakeTimeout(HANDSHAKE_TIMEOUT_MILLIS).setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
        .setEnabledSecureTransportProtocols(java.util.Set.of("TLSv1.3"))
        .setTrustOptions(trust);
  }

  /** Uses an identity from an earlier enrollment. */
  public AuthorityClient identity(NodeIdentity id) {
    this.identity = id;
    if (authenticated != null) {
      authenticated.close();
    }
    authenticated = vertx.createHttpClient(tls().setKeyCertOptions(new PemKeyCertOptions()
        .setCertValue(Buffer.buffer(Pem.encode(id.certificate())))
        .setKeyValue(Buffer.buffer(Pem.encode(id.key())))));
    return this;
  }

  public NodeIdentity identity() {
    return identity;
  }

  /** Enrolls with a one-time token; the new key pair is made here, on a worker. */
  public Future<NodeIdentity> enroll(String token) {
    if (anonymous == null) {
      anonymous = vertx.createHttpClient(tls());
    }
    return certify(anonymous, "/v1/enroll", new JsonObject().put("node", nodeId).put("token", token));
  }

  /** Renews the certificate with a new key made here; needs the current, still valid identity. */
  public Future<NodeIdentity> renew() {
    if (authenticated == null) {
      return Future.failedFuture(new IllegalStateException("not enrolled: no node certificate"));
    }
    return certify(authenticated, "/v1/renew", new JsonObject());
  }

  /** Sends a CSR for a key pair made here (on a worker) and adopts the certificate that comes back. */
  private Future<NodeIdentity> certify(HttpClient client, String path, JsonObject request) {
    return vertx.executeBlocking(() -> {
      KeyPair kp = NodeCertificates.newKeyPair(random);
      return new KeyAndCsr(kp, Pem.encode(NodeCertificates.csr(nodeId, kp)));
    }).compose(prep -> post(client, path, request.copy().put("csr", prep.csrPem())).map(answer -> {
      X509Certificate cert = Pem.certificate(answer.getString("certificate"));
      if (!nodeId.equals(NodeCertificates.nodeId(cert))) {
        throw new RecoveryException("the authority issued a certificate for another node");
      }
      NodeIdentity id = new NodeIdentity(cert, prep.keys().getPrivate());
      identity(id);
      return id;
    }));
  }

  /** For log lines: the authority address tried first now (the one that answered last). */
  public String address() {
    return addresses.get(preferred).url();
  }

  /** Every configured address of the authority, in order. */
  public java.util.List<Address> addresses() {
    return addresses;
  }

  /** One authority replica's address. */
  public record Address(String host, int port) {
    public String url() {
      return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
      return url();
    }
  }

  /**
   * Runs {@code request} against the preferred address, then each next one while the failure is
   * one where another replica may answer ({@link #failsOver}). The address that answers becomes
   * the preferred one; a change is logged (which replica this node now talks to).
   */
  private <T> Future<T> failover(java.util.function.Function<Address, Future<T>> request) {
    int first = preferred;
    return attempt(request, first, 0, new java.util.ArrayList<>());
  }

  private <T> Future<T> attempt(java.util.function.Function<Address, Future<T>> request, int first, int tried,
                                java.util.List<String> failures) {
    int index = (first + tried) % addresses.size();
    Address a = addresses.get(index);
    long started = System.nanoTime();
    Future<T> f;
    try {
      f = request.apply(a);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.transform(ar -> {
      if (ar.succeeded()) {
        preferred = index;
        Address before = answeredLast;
        answeredLast = a;
        if (!a.equals(before) && (before != null || addresses.size() > 1)) {
          long ms = (System.nanoTime() - started) / 1_000_000;
          LOG.info(() -> nodeId + ": the authority at " + a + " answered (" + ms + " ms)"
              + (before == null ? "" : "; it answered at " + before + " before")
              + (failures.isEmpty() ? "" : " after " + String.join("; ", failures)));
        }
        return Future.succeededFuture(ar.result());
      }
      Throwable e = ar.cause();
      if (!failsOver(e) || addresses.size() == 1) {
        return Future.failedFuture(e);
      }
      failures.add(a + ": " + e.getMessage());
      if (tried + 1 >= addresses.size()) {
        if (e instanceof RecoveryException r) { // the last one answered 5xx: still an answer, as with one authority
          return Future.failedFuture(new AuthorityUnavailable("no authority replica could serve this ("
              + String.join("; ", failures) + ")", r.reason()));
        }
        return Future.failedFuture(new AuthorityUnreachable("no authority replica answered (" + String.join("; ",
            failures) + ")", e));
      }
      LOG.fine(() -> nodeId + ": the authority at " + a + " did not answer (" + e.getMessage() + "); trying "
          + addresses.get((index + 1) % addresses.size()));
      return attempt(request, first, tried + 1, failures);
    });
  }

  /**
   * Whether another replica may answer where this one failed: it could not be reached, timed out,
   * or said it is unavailable (5xx). Not a refusal or a failed check: those are final.
   */
  private static boolean failsOver(Throwable e) {
    return e instanceof AuthorityUnavailable || !(e instanceof RecoveryException) && !(e instanceof IllegalStateException);
  }

  /** Every replica failed to answer: the node treats it as unreachable, as with one authority. */
  public static final class AuthorityUnreachable extends java.io.IOException {
    AuthorityUnreachable(String message, Throwable last) {
      super(message, last);
    }
  }

  /** Method 2: asks for r and checks the answer. */
  public Future<RecoveryCrypto.Recovered> recover(EpochClock clock) {
    if (authenticated == null) {
      return Future.failedFuture(new IllegalStateException("not enrolled: no node certificate"));
    }
    // Key generation and the CSPRNG stay off the event loop.
    return vertx.executeBlocking(() -> {
      HPKE hpke = RecoveryCrypto.hpke();
      AsymmetricCipherKeyPair ephemeral = hpke.generatePrivateKey();
      byte[] nonce = new byte[32];
      random.nextBytes(nonce);
      return new RecoveryRequest(ephemeral, hpke.serializePublicKey(ephemeral.getPublic()), nonce);
    }).compose(req -> {
      AsymmetricCipherKeyPair ephemeral = req.ephemeral();
      byte[] pub = req.publicKey();
      byte[] nonce = req.nonce();
      JsonObject request = new JsonObject().put("nonce", Base64.getEncoder().encodeToString(nonce))
          .put("key", Base64.getEncoder().encodeToString(pub))
          .put("started", started.toString()).put("version", VERSION);
      return post(authenticated, "/v1/recover", request)
          .compose(answer -> vertx.executeBlocking(() -> check(answer, clock, ephemeral, pub, nonce)));
    });
  }

  /** Verifies a recovery answer against this request; package-visible for the forgery tests. */
  RecoveryCrypto.Recovered check(JsonObject answer, EpochClock clock, AsymmetricCipherKeyPair ephemeral, byte[] pub, byte[] nonce) {
    X509Certificate authority = Pem.certificate(answer.getString("authority", ""));
    Exception notSigned = null;
    for (X509Certificate ca : cas) {
      try {
        authority.verify(ca.getPublicKey());
        notSigned = null;
        break;
      } catch (Exception e) {
        notSigned = e;
      }
    }
    try {
      if (notSigned != null) {
        throw notSigned;
      }
      authority.checkValidity();
    } catch (Exception e) {
      throw new RecoveryException("the answer's signer is not this mesh's authority: " + e.getMessage());
    }
    if (!NodeCertificates.isAuthority(authority)) {
      // The CN alone proves nothing: the authority's certificate carries its URI SAN and serverAuth.
      throw new RecoveryException("the answer is signed by '" + NodeCertificates.nodeId(authority) + "', not the "
          + "authority (no URI SAN " + NodeCertificates.NODE_URI_PREFIX + NodeCertificates.AUTHORITY_ID
          + " with serverAuth and digitalSignature)");
    }
    String node = answer.getString("node");
    long epoch = answer.getLong("epoch");
    byte[] enc = Base64.getDecoder().decode(answer.getString("enc"));
    byte[] ct = Base64.getDecoder().decode(answer.getString("ct"));
    byte[] sig = Base64.getDecoder().decode(answer.getString("signature"));
    if (!nodeId.equals(node)) {
      throw new RecoveryException("the answer is for node '" + node + "'");
    }
    if (!RecoveryCrypto.verify(authority.getPublicKey(), RecoveryCrypto.signedBytes(node, epoch, nonce, pub, enc, ct),
        sig)) {
      throw new RecoveryException("the answer's signature does not verify (forged, or a replay of another request)");
    }
    if (!clock.genesis().equals(Instant.parse(answer.getString("genesis")))
        || clock.interval().toMillis() != answer.getLong("intervalMillis")) {
      throw new RecoveryException("the authority's mesh has genesis " + answer.getString("genesis") + " and interval "
          + answer.getLong("intervalMillis") + " ms; this node is configured with " + clock.genesis() + " and "
          + clock.interval().toMillis() + " ms");
    }
    long local = clock.currentEpoch();
    if (Math.abs(epoch - local) > 1) {
      throw new RecoveryException("clock skew: the authority is at epoch " + epoch + ", this node's clock says " + local);
    }
    return RecoveryCrypto.open(ephemeral, node, epoch, nonce, enc, ct);
  }

  /** Method 1: only the epoch number; the node recomputes r from its seed. */
  public Future<Long> epoch(EpochClock clock) {
    if (authenticated == null) {
      return Future.failedFuture(new IllegalStateException("not enrolled: no node certificate"));
    }
    return failover(a -> authenticated.request(options(a, HttpMethod.GET, "/v1/epoch"))
        .compose(req -> req.send())
        .compose(resp -> fromAuthority(resp).compose(x -> resp.body()).map(b -> answer(resp.statusCode(), b))))
        .map(answer -> {
          long epoch = answer.getLong("epoch");
          long local = clock.currentEpoch();
          if (Math.abs(epoch - local) > 1) {
            throw new RecoveryException("clock skew: the authority is at epoch " + epoch + ", this node's clock says "
                + local);
          }
          return epoch;
        });
  }

  // ---- the service registry (issue 17): register under a lease, deregister, watch ----

  /**
   * Registers (or renews the lease of) this node's entry: the services it serves and the tunnel
   * endpoint to dial. The authority takes the node id from the certificate; a null {@code host}
   * asks it to use the address this request comes from (a node listening on a wildcard address).
   */
  public Future<io.sscmic.keysyn.registry.LeaseTerms> register(java.util.List<String> services, String host,
                                                               int port) {
    if (authenticated == null) {
      return Future.failedFuture(new IllegalStateException("not enrolled: no node certificate"));
    }
    JsonObject endpoint = new JsonObject().put("port", port);
    if (host != null) {
      endpoint.put("host", host);
    }
    JsonObject body = new JsonObject().put("services", new io.vertx.core.json.JsonArray(services))
        .put("endpoint", endpoint);
    return send(authenticated, HttpMethod.PUT, REGISTRY_SELF, body).map(a -> {
      if (!nodeId.equals(a.getString("node"))) {
        throw new RecoveryException("the authority registered node '" + a.getString("node") + "', not this one");
      }
      return new io.sscmic.keysyn.registry.LeaseTerms(a.getString("node"),
          java.time.Duration.ofMillis(a.getLong("ttlMillis")), java.time.Duration.ofMillis(a.getLong("renewMillis")),
          a.getLong("version"));
    });
  }

  /** Removes this node's entry (a drained or stopping node). */
  public Future<Void> deregister() {
    if (authenticated == null) {
      return Future.succeededFuture();
    }
    return send(authenticated, HttpMethod.DELETE, REGISTRY_SELF, null).mapEmpty();
  }

  /** Where a node's own registry entry lives. */
  public static final String REGISTRY_SELF = "/v1/registry/self";
  /** The registry watch: a snapshot then changes, one JSON object a line. */
  public static final String REGISTRY_WATCH = "/v1/registry/watch";

  /**
   * Opens the registry watch: one JSON object a line ({@code snapshot}, {@code update},
   * {@code ping}), each handed to {@code onEvent} on this client's context. {@code since} (the
   * last {@code registry:version} seen, or null) lets the authority send only what changed. The
   * stream ends when no line arrives for {@code idle} (a dead connection that TCP has not noticed)
   * or when the server is not the mesh's authority (checked like every answer here).
   */
  public Future<io.sscmic.keysyn.registry.RegistryStream> watchRegistry(String since, java.time.Duration idle,
                                                                        java.util.function.Consumer<JsonObject> onEvent) {
    return watchRegistry(since, idle, false, onEvent);
  }

  /** @param policy also the mesh policy and revocations ({@code policy} lines, issue 17 item 3) */
  public Future<io.sscmic.keysyn.registry.RegistryStream> watchRegistry(String since, java.time.Duration idle,
                                                                        boolean policy,
                                                                        java.util.function.Consumer<JsonObject> onEvent) {
    if (authenticated == null) {
      return Future.failedFuture(new IllegalStateException("not enrolled: no node certificate"));
    }
    String query = (since == null ? "" : "since=" + java.net.URLEncoder.encode(since,
        java.nio.charset.StandardCharsets.UTF_8)) + (policy ? (since == null ? "" : "&") + "policy=1" : "");
    String uri = REGISTRY_WATCH + (query.isEmpty() ? "" : "?" + query);
    io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();
    // The stream is long-lived: no answer timeout, its own idle check below instead.
    return failover(a -> authenticated.request(options(a, HttpMethod.GET, uri).setIdleTimeout(0))
        .compose(req -> req.send())
        .compose(resp -> fromAuthority(resp).compose(x -> {
          // Nothing may be read before the line handler is in place.
          resp.pause();
          if (resp.statusCode() != 200) {
            resp.resume();
            return resp.body().map(b -> {
              answer(resp.statusCode(), b);
              throw new RecoveryException("the authority answered the watch with " + resp.statusCode());
            });
          }
          long[] lastSeen = {System.nanoTime()};
          long idleNanos = idle.toNanos();
          long timer = vertx.setPeriodic(Math.max(50, idle.toMillis() / 4), t -> {
            if (System.nanoTime() - lastSeen[0] > idleNanos) {
              ended.tryFail(new RecoveryException("no event or ping from the registry for " + idle.toMillis()
                  + " ms"));
              resp.request().connection().close();
            }
          });
          ended.future().onComplete(ar -> vertx.cancelTimer(timer));
          io.vertx.core.parsetools.RecordParser lines = io.vertx.core.parsetools.RecordParser.newDelimited("\n",
              line -> {
                lastSeen[0] = System.nanoTime();
                if (line.length() == 0 || ended.future().isComplete()) {
                  return;
                }
                JsonObject event;
                try {
                  event = line.toJsonObject();
                } catch (Exception e) {
                  ended.tryFail(new RecoveryException("the registry sent a line that is not JSON"));
                  resp.request().connection().close();
                  return;
                }
                onEvent.accept(event);
              });
          lines.maxRecordSize(4 * 1024 * 1024);
          resp.handler(b -> {
            try {
              lines.handle(b);
            } catch (IllegalStateException e) {
              ended.tryFail(new RecoveryException("the registry sent a line over 4 MiB"));
              resp.request().connection().close();
            }
          });
          resp.endHandler(v -> ended.tryComplete());
          resp.exceptionHandler(ended::tryFail);
          resp.request().connection().closeHandler(v -> ended.tryFail(new RecoveryException("the registry "
              + "connection closed")));
          resp.resume();
          io.sscmic.keysyn.registry.RegistryStream stream = new io.sscmic.keysyn.registry.RegistryStream() {
            @Override
            public Future<Void> ended() {
              return ended.future();
            }

            @Override
            public void close() {
              if (ended.tryComplete()) {
                resp.request().connection().close();
              }
            }
          };
          return Future.succeededFuture(stream);
        })));
  }

  /** A request to one authority address, with the per-address timeouts. */
  private static RequestOptions options(Address a, HttpMethod method, String path) {
    // No pool-wait timeout of its own: the connect and handshake timeouts above bound a new connection.
    return new RequestOptions().setMethod(method).setHost(a.host()).setPort(a.port()).setURI(path)
        .setIdleTimeout(ANSWER_TIMEOUT_MILLIS);
  }

  private Future<JsonObject> send(HttpClient client, HttpMethod method, String path, JsonObject body) {
    return failover(a -> client.request(options(a, method, path).putHeader("content-type", "application/json"))
        .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
        .compose(resp -> fromAuthority(resp).compose(x -> resp.body()).map(b -> answer(resp.statusCode(), b))));
  }

  private Future<JsonObject> post(HttpClient client, String path, JsonObject body) {
    return send(client, HttpMethod.POST, path, body);
  }

  /**
   * The server of this connection must be the authority itself (its URI SAN and serverAuth), not
   * merely a certificate of this mesh that names the host: a node named like the authority's host
   * could otherwise answer enrollments and renewals.
   */
  private static Future<Void> fromAuthority(io.vertx.core.http.HttpClientResponse resp) {
    java.util.List<java.security.cert.Certificate> chain;
    try {
      chain = resp.request().connection().peerCertificates();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      chain = java.util.List.of();
    }
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate server)
        || !NodeCertificates.isAuthority(server)) {
      resp.request().connection().close();
      return Future.failedFuture(new RecoveryException("the server at this address is not the mesh's authority (its "
          + "certificate lacks the URI SAN " + NodeCertificates.NODE_URI_PREFIX + NodeCertificates.AUTHORITY_ID
          + " with serverAuth)"));
    }
    return Future.succeededFuture();
  }

  private static JsonObject answer(int status, Buffer body) {
    JsonObject json;
    try {
      json = body.toJsonObject();
    } catch (Exception e) {
      throw new RecoveryException("the authority answered " + status + " without JSON");
    }
    if (status >= 500) {
      throw new AuthorityUnavailable("the authority refused (" + status + "): " + json.getString("error"),
          json.getString("reason"));
    }
    if (status != 200) {
      throw new RecoveryException("the authority refused (" + status + "): " + json.getString("error"),
          json.getString("reason"));
    }
    return json;
  }

  public Future<Void> close() {
    Future<Void> a = anonymous == null ? Future.succeededFuture() : anonymous.close();
    Future<Void> b = authenticated == null ? Future.succeededFuture() : authenticated.close();
    return Future.join(a, b).mapEmpty();
  }

  /** A refused or invalid recovery step; the message says why. */
  public static class RecoveryException extends RuntimeException {
    private final String reason;

    public RecoveryException(String message) {
      this(message, null);
    }

    /** @param reason the authority's refusal code ({@code superseded}, {@code reenroll_required}, ...), or null */
    public RecoveryException(String message, String reason) {
      super(message);
      this.reason = reason;
    }

    /** The authority's refusal code, or null when the authority did not refuse (a check here failed). */
    public String reason() {
      return reason;
    }

    /** Whether only a new enrollment token gets this node a certificate again. */
    public boolean needsEnrollment() {
      return java.util.Set.of("reenroll_required", "superseded", "revoked", "certificate_expired").contains(reason);
    }
  }

  /**
   * The authority answered 5xx (it cannot record a step now, or has no key state yet): another
   * replica may answer, so the client tries the next address.
   */
  public static final class AuthorityUnavailable extends RecoveryException {
    public AuthorityUnavailable(String message, String reason) {
      super(message, reason);
    }
  }

  /** A key pair made on a worker and the CSR for it (PEM). */
  private record KeyAndCsr(KeyPair keys, String csrPem) {
  }

  /** A recovery request's fresh X25519 key pair, its encoded public key and the nonce. */
  private record RecoveryRequest(AsymmetricCipherKeyPair ephemeral, byte[] publicKey, byte[] nonce) {
  }
}
