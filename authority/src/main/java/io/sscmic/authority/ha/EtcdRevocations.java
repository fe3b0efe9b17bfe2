package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.sscmic.authority.ca.Revocations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/**
 * Revocations in etcd, one key per line under {@code <prefix>revoked/} ({@code serial:<hex>} or a
 * node id), shared by the authority replicas. A revocation is a transaction "create if absent";
 * reads are linearizable range reads; a watch on the prefix tells each replica within an etcd
 * round trip that another replica revoked or re-admitted something.
 */
public final class EtcdRevocations implements Revocations.Shared, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdRevocations.class.getName());
  private final KV kv;
  private final EtcdStore store;
  private final String prefix;
  private final java.util.List<Watch.Watcher> watchers = new CopyOnWriteArrayList<>();

  public EtcdRevocations(EtcdStore store) {
    this.store = store;
    this.kv = store.client().getKVClient();
    this.prefix = store.prefix() + "revoked/";
  }

  private ByteSequence key(String line) {
    return EtcdStore.bytes(prefix + line);
  }

  @Override
  public Set<String> all() throws IOException {
    ByteSequence p = EtcdStore.bytes(prefix);
    Set<String> lines = new TreeSet<>();
    for (KeyValue kvp : await(kv.get(p, GetOption.builder().isPrefix(true).withKeysOnly(true).build())).getKvs()) {
      lines.add(kvp.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()));
    }
    return lines;
  }

  @Override
  public boolean add(String line) throws IOException {
    ByteSequence k = key(line);
    return await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(k, EtcdStore.bytes(java.time.Instant.now().toString()), PutOption.DEFAULT)).commit())
        .isSucceeded();
  }

  @Override
  public void remove(String line) throws IOException {
    await(kv.delete(key(line)));
  }

  @Override
  public void seedOnce(Set<String> lines) throws IOException {
    ByteSequence marker = store.key("meta/revocations-seeded");
    List<Op> puts = new java.util.ArrayList<>();
    puts.add(Op.put(marker, EtcdStore.bytes(java.time.Instant.now().toString()), PutOption.DEFAULT));
    for (String line : lines) {
      puts.add(Op.put(key(line), EtcdStore.bytes(java.time.Instant.now().toString()), PutOption.DEFAULT));
    }
    await(kv.txn().If(new Cmp(marker, Cmp.Op.EQUAL, CmpTarget.version(0))).Then(puts.toArray(Op[]::new)).commit());
  }

  @Override
  public void watch(Runnable changed) {
    watchers.add(store.client().getWatchClient().watch(EtcdStore.bytes(prefix),
        WatchOption.builder().isPrefix(true).build(), Watch.listener(response -> changed.run(),
            e -> LOG.warning(() -> "authority: the etcd watch on revocations failed: " + e.getMessage()
                + " (revocations from other replicas are still read every second)"))));
  }

  @Override
  public void close() {
    watchers.forEach(Watch.Watcher::close);
  }
}
