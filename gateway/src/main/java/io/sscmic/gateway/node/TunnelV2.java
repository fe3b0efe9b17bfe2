package io.sscmic.gateway.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.TunnelV2Section;
import io.sscmic.gateway.config.TunnelVersion;
import io.sscmic.gateway.handshake.HandshakeSettings;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.PeerVerifier;
import io.sscmic.gateway.handshake.ReplayFilter;
import io.sscmic.gateway.inbound.V2Handoff;
import io.sscmic.gateway.mux.FileStreamPolicy;
import io.sscmic.gateway.mux.MuxMetrics;
import io.sscmic.gateway.mux.MuxSettings;
import io.sscmic.gateway.mux.MuxTransport;
import io.sscmic.gateway.mux.PeerConnector;
import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.mux.RecordSecureLayer;
import io.sscmic.gateway.mux.Role;
import io.sscmic.gateway.mux.SecureLayer;
import io.sscmic.gateway.mux.ServiceDirectory;
import io.sscmic.gateway.mux.StreamAcceptor;
import io.sscmic.gateway.mux.StreamPolicy;
import io.sscmic.gateway.vertx.VertxInternals;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.pki.Pem;
import io.sscmic.keysyn.recovery.NodeIdentity;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A node's tunnel v2, built once per node and kept across config reloads: its identity (the node
 * certificate the mesh CA issued, and the CA), the record layer with the node's live key schedule
 * (the KeySyn verticle ticks it every epoch) and its one replay filter, the multiplexer's meters,
 * and one peer pool for every outbound route, on Vert.x's own event loops and transport. Each data
 * plane (a reload makes a new one) asks it for an inbound {@link V2Handoff} over its own services
 * and stream policy.
 *
 * <p>With an authority the identity is the certificate the node enrolled for, re-read from the
 * state directory every {@link #IDENTITY_CHECK} so a renewal applies to new connections (open ones
 * keep the identity they authenticated with).
 */
public final class TunnelV2 {
  private static final Logger LOG = Logger.getLogger(TunnelV2.class.getName());
  static final Duration IDENTITY_CHECK = Duration.ofMinutes(1);
  /** The HTTP/2 PING period on pooled connections (two unanswered close one). */
  static final Duration PING_INTERVAL = Duration.ofSeconds(15);
  /** How many streams every pooled connection carries before the pool opens a further one (spreading over loops). */
  static final int SPREAD_AT = 1;

  /** Where the node's certificate, key and mesh CA are read from. */
  record IdentityFiles(Path dir, Path caFile) {
    static IdentityFiles of(NodeConfig config) {
      if (config.authority() != null) {
        return new IdentityFiles(config.authority().stateDir(), config.authority().caFile());
      }
      Path dir = config.v2().identityDir();
      return dir == null ? null : new IdentityFiles(dir, dir.resolve("ca.crt"));
    }
  }

  /** What is read from the files (blocking). */
  private record Loaded(LocalIdentity identity, X509Certificate ca) {
  }

  private final Vertx vertx;
  private final NodeConfig config;
  private final IdentityFiles files;
  private final KeySchedule schedule;
  private final SecureRandom random;
  private final ReplayFilter replays;
  private final V2Metrics metrics;
  private final MuxMetrics muxMetrics;
  private final MuxSettings settings;
  private final MuxTransport transport;
  private final PeerPool pool;
  private volatile RecordSecureLayer layer;
  private volatile LocalIdentity identity;
  /** The authority's revocations as the registry watch sends them (issue 17 item 3), or none. */
  private volatile io.sscmic.gateway.handshake.RevocationCheck revocation =
      io.sscmic.gateway.handshake.RevocationCheck.NONE;
  private long identityTimer = -1;

  private TunnelV2(Vertx vertx, NodeConfig config, IdentityFiles files, KeySchedule schedule, SecureRandom random,
                   MeterRegistry registry, Loaded loaded) {
    this.vertx = vertx;
    this.config = config;
    this.files = files;
    this.schedule = schedule;
    this.random = random;
    KeyState now = schedule.current();
    // One replay filter per node, from this process's first epoch: an INIT seen by a previous
    // process of this node is of an earlier epoch and refused as stale.
    this.replays = new ReplayFilter(now == null ? 0 : now.epoch(), schedule.retainedEpochs(),
        ReplayFilter.DEFAULT_MAX_ENTRIES);
    this.metrics = new V2Metrics(registry, config.nodeId());
    this.muxMetrics = new MuxMetrics(registry, config.nodeId());
    this.settings = settings(config);
    this.transport = new MuxTransport(VertxInternals.eventLoops(vertx), VertxInternals.socketChannels(vertx),
        VertxInternals.serverChannels(vertx));
    adopt(loaded);
    SecureLayer live = (channel, role, expectedPeer) -> layer.install(channel, role, expectedPeer);
    this.pool = new PeerPool(new PeerConnector(transport, live, settings, muxMetrics, config.nodeId()), SPREAD_AT);
  }

  /**
   * Builds the node's tunnel v2 once its key schedule is running, or null when the node has no
   * certificate to authenticate with (no authority, no {@code tunnel.identity-dir}): it then speaks
   * v1 only. Fails when the files are configured but unreadable or name another node.
   */
  static Future<TunnelV2> start(Vertx vertx, NodeConfig config, KeySchedule schedule, SecureRandom random,
                                MeterRegistry registry) {
    IdentityFiles files = IdentityFiles.of(config);
    if (files == null) {
      return Future.succeededFuture(null);
    }
    return vertx.executeBlocking(() -> load(files, config.nodeId()))
        .map(loaded -> {
          TunnelV2 v2 = new TunnelV2(vertx, config, files, schedule, random, registry, loaded);
          if (config.authority() != null) {
            v2.identityTimer = vertx.setPeriodic(IDENTITY_CHECK.toMillis(), t -> v2.refreshIdentity());
          }
          LOG.info(() -> config.nodeId() + ": tunnel v2 ready as " + loaded.identity().nodeId() + " (certificate serial "
              + loaded.identity().certificate().getSerialNumber().toString(16) + ", valid until "
              + loaded.identity().certificate().getNotAfter().toInstant() + "); dials "
              + (config.v2().version() == TunnelVersion.V2 ? "v2 on routes with a peer-node" : "v1")
              + ", pool of up to " + config.v2().poolSize() + " connections per peer");
          return v2;
        })
        .recover(e -> Future.failedFuture(new IllegalStateException("tunnel v2: cannot load the node certificate from "
            + files.dir() + " and the mesh CA from " + files.caFile() + ": " + e.getMessage(), e)));
  }

  static MuxSettings settings(NodeConfig config) {
    TunnelV2Section v2 = config.v2();
    return MuxSettings.defaults()
        .withStreamWindow(v2.streamWindow(), Math.max(32 << 20, 8 * v2.streamWindow()))
        .withPool(v2.poolSize(), v2.poolIdleTimeout(), PING_INTERVAL)
        .withMaxConcurrentStreams(v2.maxConcurrentStreams())
        .withConnectTimeout(config.tunnel().connectTimeout().plus(config.tunnel().handshakeTimeout()))
        .withDrainTimeout(SidecarVerticle.DRAIN);
  }

  private static Loaded load(IdentityFiles files, String nodeId) throws IOException, GeneralSecurityException {
    NodeIdentity stored = NodeIdentity.load(files.dir());
    if (stored == null) {
      throw new IOException("no " + NodeIdentity.CERT_FILE + " and " + NodeIdentity.KEY_FILE + " in " + files.dir());
    }
    LocalIdentity identity = LocalIdentity.of(stored.certificate(), stored.key());
    if (!identity.nodeId().equals(nodeId)) {
      throw new GeneralSecurityException("the certificate names node '" + identity.nodeId() + "', this node is '"
          + nodeId + "'");
    }
    warmUp(identity);
    List<X509Certificate> cas = Pem.certificates(Files.readString(files.caFile()));
    // During a CA rotation the file holds the old and the new CA: peers are checked against the one
    // that issued this node's certificate (docs/OPERATIONS.md, "Rotate the CA").
    for (X509Certificate ca : cas) {
      try {
        stored.certificate().verify(ca.getPublicKey());
        return new Loaded(identity, ca);
      } catch (GeneralSecurityException e) {
        // not this one
      }
    }
    throw new GeneralSecurityException("no CA in " + files.caFile() + " issued this node's certificate");
  }

  /**
   * One signature, its check and an X25519 key, on this worker: the first handshake of a fresh JVM
   * otherwise pays for loading and initialising the providers on the event loop (measured over
   * 2 s on a loaded machine, longer than a short handshake timeout).
   */
  private static void warmUp(LocalIdentity identity) throws GeneralSecurityException {
    java.security.Signature sign = java.security.Signature.getInstance("SHA256withECDSA");
    sign.initSign(identity.privateKey());
    sign.update(new byte[32]);
    byte[] signature = sign.sign();
    java.security.Signature verify = java.security.Signature.getInstance("SHA256withECDSA");
    verify.initVerify(identity.certificate().getPublicKey());
    verify.update(new byte[32]);
    verify.verify(signature);
    byte[] k = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.generatePrivateKey(new SecureRandom(), k);
    org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(k, 0, new byte[32], 0);
  }

  private void adopt(Loaded loaded) {
    identity = loaded.identity();
    HandshakeSettings hs = new HandshakeSettings(loaded.identity(), new PeerVerifier(loaded.ca(),
        (node, certificate) -> revocation.isRevoked(node, certificate), java.time.Clock.systemUTC()), schedule, replays,
        config.tunnel().provider(), random, config.tunnel().handshakeTimeout());
    layer = new RecordSecureLayer(hs, config.tunnel().cipher(), metrics);
  }

  /** Picks up a renewed certificate (new connections use it; open ones keep theirs). */
  private void refreshIdentity() {
    vertx.executeBlocking(() -> load(files, config.nodeId())).onComplete(ar -> {
      if (ar.failed()) {
        LOG.fine(() -> config.nodeId() + ": tunnel v2: keeping the certificate in use: " + ar.cause().getMessage());
        return;
      }
      if (!ar.result().identity().certificate().equals(identity.certificate())) {
        adopt(ar.result());
        LOG.info(() -> config.nodeId() + ": tunnel v2 now authenticates with the renewed certificate, serial "
            + ar.result().identity().certificate().getSerialNumber().toString(16));
      }
    });
  }

  /** The data plane's inbound side: its services (resolved by {@link #resolve}), under its stream policy. */
  V2Handoff inbound(Map<String, InetSocketAddress> resolved, StreamPolicy policy) {
    StreamAcceptor acceptor = new StreamAcceptor(policy, ServiceDirectory.of(resolved), transport.socketChannels(),
        muxMetrics, settings);
    SecureLayer live = (channel, role, expectedPeer) -> layer.install(channel, role, expectedPeer);
    return new V2Handoff(live, settings, acceptor, muxMetrics, config.nodeId());
  }

  /** The services' addresses as the streams dial them. Blocking (a host name is looked up): call from a worker. */
  static Map<String, InetSocketAddress> resolve(Map<String, SocketAddress> services) {
    Map<String, InetSocketAddress> resolved = new LinkedHashMap<>();
    services.forEach((name, a) -> resolved.put(name, new InetSocketAddress(a.host(), a.port())));
    return resolved;
  }

  /** Reads the stream policy file, or allows every member without one. Blocking: call from a worker. */
  static StreamPolicy policy(NodeConfig config) throws Exception {
    Path file = config.v2().policyFile();
    return file == null ? StreamPolicy.ALLOW_MEMBERS : FileStreamPolicy.load(file);
  }

  /** Whether this node dials v2 (the routes that also name their peer's node id). */
  boolean dials() {
    return config.v2().version() == TunnelVersion.V2;
  }

  PeerPool pool() {
    return pool;
  }

  public MuxMetrics muxMetrics() {
    return muxMetrics;
  }

  /** Verified v2 handshakes so far in this role. */
  public double handshakes(Role role) {
    return metrics.completed(role);
  }

  /** Refuses the handshakes of peers {@code check} says are revoked, from now on. */
  void revocations(io.sscmic.gateway.handshake.RevocationCheck check) {
    revocation = check;
  }

  /** GOAWAY on every pooled connection; completes when they have drained. */
  Future<Void> close() {
    if (identityTimer >= 0) {
      vertx.cancelTimer(identityTimer);
    }
    Promise<Void> done = Promise.promise();
    pool.close().addListener(f -> done.tryComplete());
    return done.future();
  }
}
