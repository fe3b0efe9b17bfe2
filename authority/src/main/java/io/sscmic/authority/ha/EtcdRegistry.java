package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.sscmic.authority.registry.ServiceRegistry;
import io.sscmic.keysyn.registry.Registration;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The service registry shared by the authority replicas (issue 17 item 4): each registration is an
 * etcd key {@code <prefix>registry/<node>} under a lease of the registry's TTL, put again at every
 * renewal, so a node that stops renewing disappears from etcd, and from every replica, within one
 * TTL; a deregistration deletes the key. Each replica watches the prefix and applies what other
 * replicas wrote to its own {@link ServiceRegistry}, whose watch streams then carry it: a sidecar
 * watching any replica sees every node, whichever replica that node registered with. Writes are
 * asynchronous (the registry calls them on event loops); a failed one is logged and healed by
 * the node's next renewal.
 */
public final class EtcdRegistry implements ServiceRegistry.Mirror, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdRegistry.class.getName());
  private final EtcdStore store;
  private final ServiceRegistry registry;
  private final String prefix;
  private final long ttlNanos;
  private volatile PrefixWatch watch;
  private volatile boolean closed;

  public EtcdRegistry(EtcdStore store, ServiceRegistry registry, java.time.Duration ttl) {
    this.store = store;
    this.registry = registry;
    this.prefix = store.prefix() + "registry/";
    this.ttlNanos = ttl.toNanos();
  }

  /**
   * Applies the entries in etcd now, then follows the prefix and sends this replica's changes to
   * etcd. Blocking (the first read).
   */
  public EtcdRegistry start() throws IOException {
    var got = await(store.client().getKVClient().get(EtcdStore.bytes(prefix), GetOption.builder().isPrefix(true)
        .build()));
    got.getKvs().forEach(this::apply);
    watchFrom(got.getHeader().getRevision() + 1);
    registry.mirror(this);
    return this;
  }

  /** Follows the prefix from {@code revision} (a watch etcd ends is replaced: {@link PrefixWatch}). */
  void watchFrom(long revision) {
    if (closed) {
      return;
    }
    PrefixWatch previous = watch;
    if (previous != null) {
      previous.close();
    }
    watch = new PrefixWatch(store, prefix, "the registry", response -> {
      for (WatchEvent e : response.getEvents()) {
        if (e.getEventType() == WatchEvent.EventType.PUT) {
          apply(e.getKeyValue());
        } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
          registry.removeRemote(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8)
              .substring(prefix.length()));
        }
      }
    }, all -> all.forEach(this::apply)).start(revision); // entries deleted meanwhile expire with their TTL
  }

  /** How many times the prefix was read again after jetcd gave a watch up (for tests). */
  int resyncs() {
    PrefixWatch w = watch;
    return w == null ? 0 : w.resyncs();
  }

  private void apply(KeyValue kv) {
    try {
      Registration entry = Registration.fromJson(new JsonObject(kv.getValue().toString(StandardCharsets.UTF_8)));
      registry.applyRemote(entry, ttlNanos);
    } catch (RuntimeException e) {
      LOG.warning(() -> "authority: ignoring a registry entry in etcd that does not parse ("
          + kv.getKey().toString(StandardCharsets.UTF_8) + "): " + e.getMessage());
    }
  }

  private ByteSequence key(String node) {
    return EtcdStore.bytes(prefix + node);
  }

  @Override
  public void put(Registration entry, long ttlNanos) {
    ByteSequence value = EtcdStore.bytes(entry.toJson().encode());
    long seconds = Math.max(2, TimeUnit.NANOSECONDS.toSeconds(ttlNanos + 999_999_999L));
    store.client().getLeaseClient().grant(seconds)
        .thenCompose(lease -> store.client().getKVClient().put(key(entry.node()), value,
            PutOption.builder().withLeaseId(lease.getID()).build()))
        .whenComplete((r, e) -> {
          if (e != null) {
            LOG.warning(() -> "authority: cannot share the registration of '" + entry.node() + "' in etcd: "
                + e.getMessage() + " (its next renewal tries again)");
          }
        });
  }

  @Override
  public void delete(String node) {
    store.client().getKVClient().delete(key(node)).whenComplete((r, e) -> {
      if (e != null) {
        LOG.warning(() -> "authority: cannot remove '" + node + "' from the registry in etcd: " + e.getMessage()
            + " (its lease ends it)");
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    registry.mirror(null);
    PrefixWatch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
