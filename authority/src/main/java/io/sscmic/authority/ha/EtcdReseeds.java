package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The scheduled re-seed of authority replicas on etcd (issue 17 item 4), a singleton duty: only
 * the replica that leads ({@link EtcdLeadership}) decides that a re-seed is due (the last one took
 * effect {@code every} ago, or none was made yet) and writes the new chain anchor, under
 * {@code <prefix>chain/<epoch>}, sealed under the KEK as the CA key is, with a transaction fenced on
 * its leader key. Every replica watches that prefix and hands each anchor to {@code onAnchor}
 * (the role schedules it, as it does a re-seed from the chain file), so all replicas announce the
 * same new chain.
 */
public final class EtcdReseeds implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdReseeds.class.getName());
  private final EtcdStore store;
  private final KeyEncryptionKey kek;
  private final EtcdLeadership leadership;
  private final EpochClock clock;
  private final Duration every;
  private final Duration lead;
  private final SecureRandom random;
  private final Consumer<ChainAnchor> onAnchor;
  private final String prefix;
  private final ScheduledExecutorService timer;
  private final AtomicInteger performed = new AtomicInteger();
  private PrefixWatch watcher;

  /**
   * @param every how long after the last re-seed took effect the next one is scheduled
   * @param lead how far ahead a re-seed is scheduled (at least three intervals: nodes learn it
   *     on their next refresh before it takes effect)
   * @param onAnchor gets every anchor in etcd, at start and as they are written (on an etcd thread)
   */
  public EtcdReseeds(EtcdStore store, KeyEncryptionKey kek, EtcdLeadership leadership, EpochClock clock,
                     Duration every, Duration lead, SecureRandom random, Consumer<ChainAnchor> onAnchor) {
    this.store = store;
    this.kek = kek;
    this.leadership = leadership;
    this.clock = clock;
    this.every = every;
    // (No clock: only publish() is called, which schedules nothing.)
    this.lead = clock == null || lead.compareTo(clock.interval().multipliedBy(3)) >= 0 ? lead
        : clock.interval().multipliedBy(3);
    this.random = random;
    this.onAnchor = onAnchor;
    this.prefix = store.prefix() + "chain/";
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sscmic-reseed-duty");
      t.setDaemon(true);
      return t;
    });
  }

  /** Every anchor in etcd now, oldest first. Blocking. */
  public List<ChainAnchor> anchors() throws IOException, CaKeyEnvelope.Unopenable {
    List<ChainAnchor> out = new ArrayList<>();
    for (KeyValue kv : await(store.client().getKVClient().get(EtcdStore.bytes(prefix),
        GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY).build())).getKvs()) {
      out.add(open(kv));
    }
    return out;
  }

  private void take(KeyValue kv) {
    try {
      onAnchor.accept(open(kv));
    } catch (CaKeyEnvelope.Unopenable u) {
      LOG.severe(() -> "authority: a re-seed in etcd does not open: " + u.getMessage());
    }
  }

  private ChainAnchor open(KeyValue kv) throws CaKeyEnvelope.Unopenable {
    String name = kv.getKey().toString(StandardCharsets.UTF_8);
    byte[] key = CaKeyEnvelope.openBytes(kv.getValue().getBytes(), kek, name);
    try {
      return new ChainAnchor(Long.parseLong(name.substring(prefix.length())), key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Watches for anchors (each new one goes to {@code onAnchor}) and checks every {@code check}
   * whether this replica, if it leads, must schedule a re-seed.
   */
  public EtcdReseeds start(Duration check) {
    watcher = new PrefixWatch(store, prefix, "re-seeds", response -> {
      for (WatchEvent e : response.getEvents()) {
        if (e.getEventType() == WatchEvent.EventType.PUT) {
          take(e.getKeyValue());
        }
      }
    }, all -> all.forEach(this::take)).start(0); // anchors are only ever added; the schedule ignores repeats
    // Once after the watch is up: what was written before it (since the caller's own read) is not missed.
    timer.execute(() -> {
      try {
        anchors().forEach(onAnchor);
      } catch (Exception e) {
        LOG.warning(() -> "authority: cannot read the re-seeds in etcd: " + e.getMessage());
      }
    });
    timer.scheduleWithFixedDelay(this::check, 0, check.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void check() {
    try {
      checkNow();
    } catch (Exception e) {
      LOG.warning(() -> "authority: scheduled re-seed check failed: " + e.getMessage() + " (next check soon)");
    }
  }

  /**
   * Schedules a re-seed if this replica leads and one is due. Blocking.
   *
   * @return the epoch of the re-seed it scheduled, or -1
   */
  public long checkNow() throws IOException, CaKeyEnvelope.Unopenable {
    if (leadership == null || !leadership.isLeader()) {
      return -1;
    }
    long now = clock.currentEpoch();
    List<ChainAnchor> all = anchors();
    ChainAnchor last = all.isEmpty() ? null : all.get(all.size() - 1);
    if (last != null && (last.epoch() > now || clock.startOf(last.epoch()) + every.toMillis() > clock.nowMillis())) {
      return -1; // one is pending, or the last took effect less than `every` ago
    }
    long epoch = clock.epochAt(clock.nowMillis() + lead.toMillis()) + 1;
    ChainAnchor next = ChainAnchor.random(epoch, random);
    String name = prefix + String.format("%019d", epoch);
    byte[] key = next.key();
    byte[] sealed;
    try {
      sealed = CaKeyEnvelope.sealBytes(key, "chain-anchor", kek, name, random);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    if (!leadership.commitFenced(Op.put(ByteSequence.from(name, StandardCharsets.UTF_8), ByteSequence.from(sealed),
        PutOption.DEFAULT))) {
      return -1;
    }
    performed.incrementAndGet();
    LOG.info(() -> "authority: scheduled re-seed (leader, fencing revision " + leadership.fencingRevision()
        + "): a new key chain from epoch " + epoch + " (tc " + EpochClock.tcOf(epoch) + ")");
    return epoch;
  }

  /**
   * Writes a re-seed made by hand on one replica's host (its chain file) for every replica: a
   * transaction "create if absent" on {@code <prefix>chain/<epoch>}, not fenced (no duty is
   * involved: the operator's file permissions are the authorization, as for the chain file).
   *
   * @return false when a re-seed at that epoch is in etcd already
   */
  public boolean publish(ChainAnchor anchor) throws IOException {
    String name = prefix + String.format("%019d", anchor.epoch());
    byte[] key = anchor.key();
    byte[] sealed;
    try {
      sealed = CaKeyEnvelope.sealBytes(key, "chain-anchor", kek, name, random);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    ByteSequence k = ByteSequence.from(name, StandardCharsets.UTF_8);
    return await(store.client().getKVClient().txn()
        .If(new io.etcd.jetcd.op.Cmp(k, io.etcd.jetcd.op.Cmp.Op.EQUAL, io.etcd.jetcd.op.CmpTarget.version(0)))
        .Then(Op.put(k, ByteSequence.from(sealed), PutOption.DEFAULT)).commit()).isSucceeded();
  }

  /** How many re-seeds this replica wrote as leader. */
  public int performed() {
    return performed.get();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (watcher != null) {
      watcher.close();
    }
  }
}
