package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.sscmic.authority.ca.IssuedCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * The issued-certificates record in etcd, one key per node under {@code <prefix>certs/}, its value
 * the record's line (node, enrolled, live serial, key hash, replaced serial, used). Without it a
 * node enrolled at one replica was refused at another ("no live certificate"): each replica knew
 * only the certificates it had issued. A watch applies every replica's changes within an etcd
 * round trip.
 */
public final class EtcdIssuedCertificates implements IssuedCertificates.Shared, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdIssuedCertificates.class.getName());
  private final KV kv;
  private final EtcdStore store;
  private final String prefix;
  private final List<PrefixWatch> watchers = new CopyOnWriteArrayList<>();
  /**
   * Where changes are applied: never on jetcd's own thread, which also delivers the answers to
   * this replica's etcd calls. Applying a change waits for the record's lock, held by a write that
   * waits for its etcd answer: on jetcd's thread the two waited for each other (5 s timeouts).
   */
  private final java.util.concurrent.ExecutorService applier = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread t = new Thread(r, "sscmic-etcd-certificates");
        t.setDaemon(true);
        return t;
      });

  public EtcdIssuedCertificates(EtcdStore store) {
    this.store = store;
    this.kv = store.client().getKVClient();
    this.prefix = store.prefix() + "certs/";
  }

  @Override
  public Map<String, IssuedCertificates.Entry> all() throws IOException {
    Map<String, IssuedCertificates.Entry> all = new TreeMap<>();
    for (KeyValue kvp : await(kv.get(EtcdStore.bytes(prefix), GetOption.builder().isPrefix(true).build())).getKvs()) {
      IssuedCertificates.Entry e = parse(kvp);
      if (e != null) {
        all.put(e.node(), e);
      }
    }
    return all;
  }

  @Override
  public void put(IssuedCertificates.Entry e) throws IOException {
    await(kv.put(EtcdStore.bytes(prefix + e.node()), EtcdStore.bytes(IssuedCertificates.line(e))));
  }

  /**
   * A compare-and-swap on the node's key: written only if its value is still {@code expected}'s
   * line (or, expected null, the key is absent); otherwise the value etcd holds is returned.
   */
  @Override
  public java.util.Optional<IssuedCertificates.Entry> replace(IssuedCertificates.Entry expected,
                                                               IssuedCertificates.Entry next) throws IOException {
    io.etcd.jetcd.ByteSequence key = EtcdStore.bytes(prefix + next.node());
    io.etcd.jetcd.op.Cmp unchanged = expected == null
        ? new io.etcd.jetcd.op.Cmp(key, io.etcd.jetcd.op.Cmp.Op.EQUAL, io.etcd.jetcd.op.CmpTarget.version(0))
        : new io.etcd.jetcd.op.Cmp(key, io.etcd.jetcd.op.Cmp.Op.EQUAL,
            io.etcd.jetcd.op.CmpTarget.value(EtcdStore.bytes(IssuedCertificates.line(expected))));
    io.etcd.jetcd.kv.TxnResponse r = await(kv.txn().If(unchanged)
        .Then(io.etcd.jetcd.op.Op.put(key, EtcdStore.bytes(IssuedCertificates.line(next)),
            io.etcd.jetcd.options.PutOption.DEFAULT))
        .Else(io.etcd.jetcd.op.Op.get(key, GetOption.DEFAULT)).commit());
    if (r.isSucceeded()) {
      return null;
    }
    List<KeyValue> now = r.getGetResponses().get(0).getKvs();
    return now.isEmpty() ? java.util.Optional.empty() : java.util.Optional.ofNullable(parse(now.get(0)));
  }

  @Override
  public void remove(String node) throws IOException {
    await(kv.delete(EtcdStore.bytes(prefix + node)));
  }

  @Override
  public void watch(BiConsumer<String, IssuedCertificates.Entry> changed) {
    watchers.add(new PrefixWatch(store, prefix, "issued certificates", response -> applier.execute(() -> {
      for (WatchEvent ev : response.getEvents()) {
        String node = ev.getKeyValue().getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
        if (ev.getEventType() == WatchEvent.EventType.DELETE) {
          changed.accept(node, null);
        } else if (ev.getEventType() == WatchEvent.EventType.PUT) {
          IssuedCertificates.Entry e = parse(ev.getKeyValue());
          if (e != null) {
            changed.accept(node, e);
          }
        }
      }
    }), all -> applier.execute(() -> {
      // After a watch etcd ended: every record as it is now (a removal made meanwhile is not seen).
      for (KeyValue kvp : all) {
        IssuedCertificates.Entry e = parse(kvp);
        if (e != null) {
          changed.accept(kvp.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()), e);
        }
      }
    })).start(0));
  }

  private IssuedCertificates.Entry parse(KeyValue kvp) {
    String value = kvp.getValue().toString(StandardCharsets.UTF_8);
    try {
      return IssuedCertificates.parse(value);
    } catch (IllegalArgumentException e) {
      LOG.warning(() -> "authority: ignored " + kvp.getKey().toString(StandardCharsets.UTF_8) + " in etcd: "
          + e.getMessage());
      return null;
    }
  }

  @Override
  public void close() {
    watchers.forEach(PrefixWatch::close);
    applier.shutdown();
  }
}
