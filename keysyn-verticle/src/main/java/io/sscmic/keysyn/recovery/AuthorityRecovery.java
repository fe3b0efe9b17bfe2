package io.sscmic.keysyn.recovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.KeyStateSource;
import io.sscmic.keysyn.recovery.RecoveryCrypto;
import io.sscmic.keysyn.pki.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * A node's key state from the authority (claims 3 and 4): enrolls once with a one-time token,
 * keeps its certificate in its state directory and renews it before it expires, and recovers r
 * at every start, either sealed by the authority (method 2) or as the epoch number only, with r
 * recomputed from the seed the node holds (method 1).
 */
public final class AuthorityRecovery implements KeyStateSource {
  private static final Logger LOG = Logger.getLogger(AuthorityRecovery.class.getName());
  /** Renew when this fraction of the certificate's lifetime has passed. */
  private static final double RENEW_AT = 2.0 / 3.0;

  /** How a node recovers r. */
  public enum Method {
    /** Method 2: the authority sends r, sealed to this request and signed. The node holds no seed. */
    SEALED_STATE,
    /** Method 1: the authority sends N only; the node recomputes r from the seed it holds. */
    EPOCH_ONLY
  }

  /**
   * Where the authority is and what this node keeps.
   *
   * @param host the first authority address's host ({@code authority.url}'s first URL)
   * @param refresh how often a running node asks the authority for its state, to learn of re-seeds
   *     (method 2 only)
   * @param alternates the further authority replicas, tried in order when the ones before do not
   *     answer (issue 17 item 4); empty with one authority
   */
  public record Settings(String host, int port, Path caFile, Path stateDir, TokenSource token, Method method,
                         Duration refresh, java.util.List<AuthorityClient.Address> alternates) {
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(30);

    public Settings {
      alternates = java.util.List.copyOf(alternates);
    }

    /** One authority. */
    public Settings(String host, int port, Path caFile, Path stateDir, TokenSource token, Method method,
                    Duration refresh) {
      this(host, port, caFile, stateDir, token, method, refresh, java.util.List.of());
    }

    /** Every authority address, the first one first. */
    public java.util.List<AuthorityClient.Address> addresses() {
      java.util.List<AuthorityClient.Address> all = new java.util.ArrayList<>();
      all.add(new AuthorityClient.Address(host, port));
      all.addAll(alternates);
      return java.util.List.copyOf(all);
    }

    /** The addresses as written in {@code authority.url}: {@code https://a:8443,https://b:8443}. */
    public String urls() {
      return String.join(",", addresses().stream().map(AuthorityClient.Address::url).toList());
    }

    public Settings(String host, int port, Path caFile, Path stateDir, TokenSource token, Method method) {
      this(host, port, caFile, stateDir, token, method, DEFAULT_REFRESH);
    }
  }

  private final String nodeId;
  private final Settings settings;
  private final EpochClock clock;
  private final ChainAnchor seedChain;
  private final SecureRandom random;
  private final Counter ok;
  private final Counter unreachable;
  private final Counter refused;
  private final Counter renewals;
  private final Counter renewalFailures;
  private volatile AuthorityClient client;
  private volatile Instant certificateExpiry;
  private volatile Instant lastContact;
  private boolean expiryGauge;
  private boolean contactGauge;
  private final MeterRegistry registry;
  /** {@code sscmic_certificate_expiry_timestamp_seconds}: a node's own certificate (the authority's too). */
  public static final String CERTIFICATE_EXPIRY = "sscmic.certificate.expiry.timestamp";
  /** {@code sscmic_authority_client_last_success_timestamp_seconds}. */
  public static final String LAST_CONTACT = "sscmic.authority.client.last.success.timestamp";
  private final Counter adopted;
  private Vertx vertx;
  private KeySchedule schedule;
  private ChainAnchor announced;
  private long renewTimer = -1;
  private long refreshTimer = -1;
  private boolean refreshing;
  private boolean authorityLost;
  private boolean closed;

  /** @param seedChain the chain from the seed this node holds, for method 1; null for method 2 */
  public AuthorityRecovery(String nodeId, Settings settings, EpochClock clock, ChainAnchor seedChain,
                           SecureRandom random, MeterRegistry registry) {
    if (settings.method() == Method.EPOCH_ONLY && seedChain == null) {
      throw new IllegalArgumentException("recovery method 1 needs the mesh seed on the node");
    }
    this.nodeId = nodeId;
    this.settings = settings;
    this.clock = clock;
    this.seedChain = seedChain;
    this.random = random;
    String requests = "This node's requests to the authority (recover, enroll, renew) by result";
    ok = result(registry, "sscmic.authority.client.requests", requests, "ok");
    unreachable = result(registry, "sscmic.authority.client.requests", requests, "unreachable");
    refused = result(registry, "sscmic.authority.client.requests", requests, "refused");
    renewals = result(registry, "sscmic.authority.certificate.renewals", "Certificate renewals", "ok");
    renewalFailures = result(registry, "sscmic.authority.certificate.renewals", "Certificate renewals", "failed");
    adopted = Counter.builder("sscmic.keysyn.chain.adopted")
        .description("Times this node found its key chain differed from the authority's (a missed re-seed) and "
            + "adopted the authority's").tag("node", nodeId).register(registry);
    this.registry = registry;
  }

  /**
   * The node certificate in use expires at {@code at}. Its gauge appears with the first certificate
   * (a node not yet enrolled has no series rather than NaN).
   */
  private synchronized void expires(Instant at) {
    certificateExpiry = at;
    if (at != null && !expiryGauge) {
      expiryGauge = true;
      Gauge.builder(CERTIFICATE_EXPIRY, this, r -> r.certificateExpiry.getEpochSecond())
          .description("When this node's certificate expires, Unix time in seconds").baseUnit("seconds")
          .tag("node", nodeId).register(registry);
    }
  }

  /** The authority answered a recovery: the node's last contact, shown on its dashboard and scraped. */
  private synchronized void contacted() {
    lastContact = Instant.now();
    if (!contactGauge) {
      contactGauge = true;
      Gauge.builder(LAST_CONTACT, this, r -> r.lastContact.toEpochMilli() / 1000.0)
          .description("When the authority last answered this node's recovery, Unix time in seconds")
          .baseUnit("seconds").tag("node", nodeId).register(registry);
    }
  }

  /** When the authority last answered a recovery of this node, or null before the first answer. */
  public Instant lastContact() {
    return lastContact;
  }

  private Counter result(MeterRegistry registry, String name, String help, String result) {
    return Counter.builder(name).description(help).tag("node", nodeId).tag("result", result).register(registry);
  }

  @Override
  public String describe() {
    return "the authority at " + settings.urls()
        + (settings.method() == Method.SEALED_STATE ? " (method 2)" : " (method 1, seed on this node)");
  }

  @Override
  public Future<KeyState> initialState(Vertx vertx, long localEpoch) {
    this.vertx = vertx;
    return enrolled()
        .compose(c -> settings.method() == Method.SEALED_STATE ? c.recover(clock)
            : c.epoch(clock).recover(e -> fromLocalClock(e, localEpoch))
                .compose(n -> vertx.executeBlocking(() -> new RecoveryCrypto.Recovered(seedChain.stateAt(n),
                null))))
        .onSuccess(r -> {
          ok.increment();
          contacted();
          announced = r.nextChain();
          scheduleRenewal();
        })
        .map(RecoveryCrypto.Recovered::state)
        .recover(this::explain);
  }

  /**
   * Method 1 while the authority cannot be reached (not when it refuses): the node holds the seed
   * and an enrolled certificate, so it starts from its own clock's epoch, as a seed-only node does,
   * instead of staying not ready until the authority is back. Its registry view then comes from
   * its disk cache (issue 17).
   */
  private Future<Long> fromLocalClock(Throwable e, long localEpoch) {
    if (e instanceof AuthorityClient.RecoveryException) {
      return Future.failedFuture(e);
    }
    unreachable.increment();
    LOG.warning(() -> nodeId + ": the authority is unreachable (" + e.getMessage() + "); method 1: starting from "
        + "this node's clock (epoch " + localEpoch + ") and the seed it holds");
    return Future.succeededFuture(localEpoch);
  }

  /**
   * The client with this node's certificate, for the registry (issue 17): null until the node has
   * enrolled or loaded its identity.
   */
  public AuthorityClient client() {
    return client;
  }

  /** Takes the announced re-seed into the schedule and, with method 2, keeps asking for news. */
  @Override
  public synchronized void follow(Vertx vertx, KeySchedule schedule, EpochClock clock) {
    this.schedule = schedule;
    adoptAnnouncement(announced);
    if (settings.method() == Method.SEALED_STATE && !closed) {
      refreshTimer = vertx.setPeriodic(settings.refresh().toMillis(), t -> refresh());
    }
  }

  private void refresh() {
    AuthorityClient c = client;
    if (refreshing || c == null || closed) {
      return;
    }
    refreshing = true;
    c.recover(clock).onComplete(ar -> {
      refreshing = false;
      if (ar.failed()) {
        if (!authorityLost) {
          authorityLost = true;
          LOG.warning(() -> nodeId + ": cannot reach the authority (" + ar.cause().getMessage() + "); carrying on "
              + "with the key chain it holds, and asking again every " + settings.refresh().toMillis() + " ms");
        }
        (ar.cause() instanceof AuthorityClient.RecoveryException ? refused : unreachable).increment();
        return;
      }
      ok.increment();
      contacted();
      if (authorityLost) {
        authorityLost = false;
        LOG.info(() -> nodeId + ": the authority answers again");
      }
      reconcile(ar.result());
    });
  }

  /**
   * A node that missed a re-seed (down or cut off when it was announced) holds another chain than
   * the authority: it adopts the authority's, as at a restart.
   */
  private synchronized void reconcile(RecoveryCrypto.Recovered remote) {
    KeyState local = schedule.current();
    long at = Math.max(local.epoch(), remote.state().epoch());
    KeyState mine = KeySchedule.advance(local, at, schedule.pending());
    KeyState theirs = KeySchedule.advance(remote.state(), at, remote.nextChain());
    if (!java.security.MessageDigest.isEqual(mine.chainKey(KeyRole.CURRENT), theirs.chainKey(KeyRole.CURRENT))) {
      adopted.increment();
      LOG.warning(() -> nodeId + ": this node's key chain differs from the authority's at epoch " + at
          + " (a re-seed it missed); adopting the authority's");
      schedule.install(theirs);
      schedule.advanceTo(clock.currentEpoch());
    }
    adoptAnnouncement(remote.nextChain());
  }

  private void adoptAnnouncement(ChainAnchor next) {
    if (next == null || schedule == null) {
      return;
    }
    ChainAnchor known = schedule.pending();
    boolean same = known != null && known.epoch() == next.epoch()
        && java.security.MessageDigest.isEqual(known.key(), next.key());
    if (!same && next.epoch() > schedule.current().epoch()) {
      schedule.schedule(next);
      LOG.info(() -> nodeId + ": re-seed announced by the authority: a new key chain from epoch " + next.epoch()
          + " (tc " + EpochClock.tcOf(next.epoch()) + ")");
    }
  }

  /** The client with a valid identity: loaded from the state directory, or enrolled now. */
  private Future<AuthorityClient> enrolled() {
    AuthorityClient c = client;
    if (c != null && c.identity() != null && !expiresSoon(c.identity())) {
      return Future.succeededFuture(c);
    }
    return vertx.executeBlocking(() -> {
      if (!Files.isReadable(settings.caFile())) {
        throw new IllegalStateException("cannot read the mesh CA certificate " + settings.caFile()
            + " (authority.ca-file: copy ca.crt from the authority's directory)");
      }
      // One CA, or the old and the new while the mesh CA is rotated (OPERATIONS.md "Rotate the CA").
      java.util.List<X509Certificate> ca = Pem.certificates(Files.readString(settings.caFile()));
      Files.createDirectories(settings.stateDir());
      NodeIdentity stored = NodeIdentity.load(settings.stateDir());
      String token = stored == null || expiresSoon(stored) ? settings.token().read() : null;
      return new StoredState(ca, stored, token);
    }).compose(prep -> {
      AuthorityClient fresh = client != null ? client
          : new AuthorityClient(vertx, settings.addresses(), prep.ca(), nodeId, random);
      client = fresh;
      NodeIdentity stored = prep.identity();
      if (stored != null && !expiresSoon(stored)) {
        fresh.identity(stored);
        expires(stored.expiry());
        return Future.succeededFuture(fresh);
      }
      String token = prep.token();
      if (token == null) {
        return Future.failedFuture(new AuthorityClient.RecoveryException((stored == null ? "not enrolled"
            : "the node certificate expired at " + stored.expiry()) + " and no enrollment token in "
            + settings.token().describe() + "; issue one on the authority with: sscmic token --node " + nodeId));
      }
      return fresh.enroll(token)
          .compose(id -> vertx.executeBlocking(() -> {
            id.store(settings.stateDir());
            return id;
          }))
          .map(id -> {
            expires(id.expiry());
            LOG.info(() -> nodeId + ": enrolled with the authority; certificate valid until " + id.expiry()
                + ", kept in " + settings.stateDir());
            return fresh;
          });
    });
  }

  private static boolean expiresSoon(NodeIdentity id) {
    return id.expiry().isBefore(Instant.now().plusSeconds(30));
  }

  private Future<KeyState> explain(Throwable e) {
    if (e instanceof IllegalStateException) {
      return Future.failedFuture(e);
    }
    if (e instanceof AuthorityClient.RecoveryException) {
      refused.increment();
      return Future.failedFuture(e);
    }
    unreachable.increment();
    String where = settings.urls();
    if (e instanceof javax.net.ssl.SSLException || e.getCause() instanceof javax.net.ssl.SSLException) {
      return Future.failedFuture(new AuthorityClient.RecoveryException("TLS handshake with the authority at " + where
          + " failed: " + e.getMessage() + " (is authority.ca-file this mesh's ca.crt, and the host in authority.url"
          + " one that sscmic init --host put in the authority's certificate?)"));
    }
    return Future.failedFuture(new AuthorityClient.RecoveryException("authority unreachable at " + where + ": "
        + e.getMessage()));
  }

  private synchronized void scheduleRenewal() {
    if (closed || renewTimer >= 0 || client == null || client.identity() == null) {
      return;
    }
    X509Certificate cert = client.identity().certificate();
    long from = cert.getNotBefore().getTime();
    long to = cert.getNotAfter().getTime();
    long at = from + (long) ((to - from) * RENEW_AT);
    schedule(Math.max(1000, at - System.currentTimeMillis()));
  }

  private synchronized void schedule(long delayMillis) {
    if (closed) {
      return;
    }
    renewTimer = vertx.setTimer(delayMillis, t -> {
      synchronized (this) {
        renewTimer = -1;
      }
      renew();
    });
  }

  /**
   * Renews the certificate now; on failure retries every minute (sooner near expiry) until it
   * works. When only a new token helps (the renewal bound passed, the certificate was replaced or
   * revoked), it enrolls with the token in {@code authority.token-file} if there is one, so that
   * an operator who puts a token there re-admits a running node without a restart.
   */
  public Future<NodeIdentity> renew() {
    AuthorityClient c = client;
    if (c == null) {
      return Future.failedFuture(new IllegalStateException("not started"));
    }
    return c.renew()
        .recover(e -> e instanceof AuthorityClient.RecoveryException r && r.needsEnrollment()
            ? reenroll(c, r) : Future.failedFuture(e))
        .compose(id -> vertx.executeBlocking(() -> {
          id.store(settings.stateDir());
          return id;
        }))
        .onSuccess(id -> {
          renewals.increment();
          expires(id.expiry());
          LOG.info(() -> nodeId + ": renewed the node certificate; valid until " + id.expiry());
          scheduleRenewal();
        })
        .onFailure(e -> {
          long left = certificateExpiry == null ? 0 : certificateExpiry.toEpochMilli() - System.currentTimeMillis();
          long retry = Math.max(1000, Math.min(Duration.ofMinutes(1).toMillis(), left / 4));
          LOG.warning(() -> nodeId + ": certificate renewal failed: " + e.getMessage() + "; retrying in " + retry
              + " ms (the certificate expires at " + certificateExpiry + ")");
          // Counted after the log line: whoever watches the counter finds the line already written.
          renewalFailures.increment();
          schedule(retry);
        });
  }

  /** Enrolls again with the token in the token file, or fails saying that one is needed. */
  private Future<NodeIdentity> reenroll(AuthorityClient c, AuthorityClient.RecoveryException refused) {
    return vertx.executeBlocking(() -> settings.token().read()).compose(token -> {
      if (token == null) {
        return Future.failedFuture(new AuthorityClient.RecoveryException(refused.getMessage() + "; this node needs a "
            + "new enrollment token in " + settings.token().describe() + " (sscmic token --node " + nodeId + ")",
            refused.reason()));
      }
      return c.enroll(token)
          .onSuccess(id -> LOG.info(() -> nodeId + ": enrolled again with the token in " + settings.token().describe()
              + " (" + refused.reason() + "); certificate valid until " + id.expiry()))
          .recover(e -> Future.failedFuture(new AuthorityClient.RecoveryException(refused.getMessage()
              + "; enrolling with the token in " + settings.token().describe() + " failed too: " + e.getMessage(),
              refused.reason())));
    });
  }

  /** When the node certificate in use expires, or null before enrollment. */
  public Instant certificateExpiry() {
    return certificateExpiry;
  }

  @Override
  public synchronized Future<Void> close() {
    closed = true;
    if (renewTimer >= 0 && vertx != null) {
      vertx.cancelTimer(renewTimer);
    }
    if (refreshTimer >= 0 && vertx != null) {
      vertx.cancelTimer(refreshTimer);
    }
    return client == null ? Future.succeededFuture() : client.close();
  }

  /**
   * What the state directory and config hold, read on a worker: the trusted CA certificates, the
   * stored identity (or null) and an enrollment token when one is needed (or null).
   */
  private record StoredState(java.util.List<X509Certificate> ca, NodeIdentity identity, String token) {
  }
}
