package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Leadership of one singleton duty (the scheduled re-seed) among the authority replicas, with
 * etcd's election (jetcd's {@link Election}): each replica campaigns with a lease it keeps alive;
 * etcd makes the oldest campaigner's key the leader. A leader that dies stops renewing its lease,
 * its key disappears with it after {@code ttl}, and the next campaigner leads.
 *
 * <p>Fencing: a leader can be deposed without knowing it (a long pause, a partition that let its
 * lease expire). So every write a duty makes as leader goes through {@link #commitFenced}: a
 * transaction conditioned on the leader key still existing with the create revision it had when
 * this replica won. A deposed leader's write is refused by etcd, never applied late.
 */
public final class EtcdLeadership implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdLeadership.class.getName());
  private final EtcdStore store;
  private final String duty;
  private final String replica;
  private final Duration ttl;
  private final ScheduledExecutorService timer;
  private volatile LeaderKey leader;
  private volatile long lease;
  private volatile CloseableClient keepAlive;
  private volatile boolean closed;

  /**
   * @param duty the duty's name, e.g. {@code reseed}: the election key is {@code <prefix>leader/<duty>}
   * @param replica this replica's name, stored as the leader key's value (shown to operators)
   * @param ttl how long after a leader's death another replica takes over (the lease's time to live)
   */
  public EtcdLeadership(EtcdStore store, String duty, String replica, Duration ttl) {
    this.store = store;
    this.duty = duty;
    this.replica = replica;
    this.ttl = ttl;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sscmic-leadership-" + duty);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts campaigning (in the background); {@link #isLeader} turns true once this replica wins. */
  public EtcdLeadership start() {
    timer.execute(this::campaign);
    return this;
  }

  private ByteSequence election() {
    return store.key("leader/" + duty);
  }

  private void campaign() {
    if (closed) {
      return;
    }
    try {
      long id = await(store.client().getLeaseClient().grant(Math.max(1, ttl.toSeconds()))).getID();
      lease = id;
      keepAlive = store.client().getLeaseClient().keepAlive(id, new StreamObserver<LeaseKeepAliveResponse>() {
        @Override
        public void onNext(LeaseKeepAliveResponse value) {
        }

        @Override
        public void onError(Throwable t) {
          if (lease == id) { // not a lease this replica already gave up
            timer.execute(() -> stepDown("its lease could not be kept alive: " + t.getMessage()));
          }
        }

        @Override
        public void onCompleted() {
        }
      });
      // Completes when this replica's key is the oldest under the election prefix: it may wait long.
      store.client().getElectionClient().campaign(election(), id, EtcdStore.bytes(replica))
          .whenComplete((r, e) -> {
            if (closed) {
              return;
            }
            if (e != null) {
              retry("campaign failed: " + e.getMessage());
              return;
            }
            leader = r.getLeader();
            LOG.info(() -> "authority: replica '" + replica + "' leads the " + duty + " duty (leader key revision "
                + r.getLeader().getRevision() + ")");
          });
    } catch (IOException | RuntimeException e) {
      retry("cannot campaign: " + e.getMessage());
    }
  }

  private void retry(String why) {
    if (closed) {
      return;
    }
    LOG.warning(() -> "authority: replica '" + replica + "', " + duty + " leadership: " + why + "; campaigning "
        + "again in 1 s");
    closeLease();
    timer.schedule(this::campaign, 1, TimeUnit.SECONDS);
  }

  /** Leaves the leadership (a fenced write was refused, or the lease was lost) and campaigns again. */
  private synchronized void stepDown(String why) {
    if (closed) {
      return;
    }
    boolean was = leader != null;
    leader = null;
    if (was) {
      LOG.warning(() -> "authority: replica '" + replica + "' no longer leads the " + duty + " duty: " + why);
    }
    retry(why);
  }

  /** The lease this replica campaigns with (0 between campaigns); for tests that expire it from outside. */
  long lease() {
    return lease;
  }

  public boolean isLeader() {
    return leader != null;
  }

  /** The fencing token: the leader key's create revision, or -1 when this replica does not lead. */
  public long fencingRevision() {
    LeaderKey l = leader;
    return l == null ? -1 : l.getRevision();
  }

  /**
   * Commits {@code ops} only while this replica still leads: one transaction conditioned on the
   * leader key having the create revision it had when this replica won. A refusal means another
   * replica leads now: this one steps down.
   *
   * @return true when the writes were applied
   */
  public boolean commitFenced(Op... ops) throws IOException {
    LeaderKey l = leader;
    if (l == null) {
      return false;
    }
    boolean applied = await(store.client().getKVClient().txn()
        .If(new Cmp(l.getKey(), Cmp.Op.EQUAL, CmpTarget.createRevision(l.getRevision())))
        .Then(ops).commit()).isSucceeded();
    if (!applied) {
      stepDown("its leader key (revision " + l.getRevision() + ") is gone: a write as leader was refused");
    }
    return applied;
  }

  private void closeLease() {
    CloseableClient k = keepAlive;
    keepAlive = null;
    if (k != null) {
      k.close();
    }
    long id = lease;
    lease = 0;
    if (id != 0) {
      try {
        store.client().getLeaseClient().revoke(id); // the leader key goes with it at once
      } catch (RuntimeException e) {
        // the client is closed: the lease ends with its TTL instead
      }
    }
  }

  /** Resigns: the lease is revoked, so another replica leads at once rather than after the TTL. */
  @Override
  public void close() {
    closed = true;
    leader = null;
    timer.shutdownNow();
    closeLease();
  }
}
