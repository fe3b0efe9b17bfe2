package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static io.sscmic.authority.ha.Eventually.await;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watch under the replicas' shared state (registry, re-seeds, issued certificates) outlives a
 * watch that etcd ends for good. Real etcd: a watch started from a revision compacted away ends at
 * once; the prefix is read again (every key reaches the resync callback) and followed from there.
 */
class PrefixWatchTest {
  @RegisterExtension
  static final EtcdExtension ETCD = new EtcdExtension();

  @Test
  void aWatchFromACompactedRevisionIsReplacedByAReadAndANewWatch() throws Exception {
    String prefix = "/prefix-watch-" + System.nanoTime() + "/";
    try (EtcdStore store = new EtcdStore(List.of(ETCD.endpoint()), prefix)) {
      var kv = store.client().getKVClient();
      for (int i = 0; i < 3; i++) {
        EtcdStore.await(kv.put(EtcdStore.bytes(prefix + "k" + i), EtcdStore.bytes("v" + i)));
      }
      long now = EtcdStore.await(kv.get(EtcdStore.bytes(prefix))).getHeader().getRevision();
      EtcdStore.await(kv.compact(now, CompactOption.builder().withCompactPhysical(true).build()));

      Set<String> events = new ConcurrentSkipListSet<>();
      Set<String> resynced = new ConcurrentSkipListSet<>();
      try (PrefixWatch watch = new PrefixWatch(store, prefix, "a test prefix", response -> {
        for (WatchEvent e : response.getEvents()) {
          events.add(e.getEventType() + " " + e.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
        }
      }, all -> {
        for (KeyValue k : all) {
          resynced.add(k.getKey().toString(StandardCharsets.UTF_8));
        }
      }).start(now - 2)) {
        await(() -> watch.resyncs() == 1, "the read that replaces the watch etcd ended (compacted revision)");
        assertEquals(Set.of(prefix + "k0", prefix + "k1", prefix + "k2"), resynced, "every key, as it is now");
        EtcdStore.await(kv.put(EtcdStore.bytes(prefix + "k3"), EtcdStore.bytes("v3")));
        EtcdStore.await(kv.delete(EtcdStore.bytes(prefix + "k0")));
        await(() -> events.size() == 2, "the new watch's events: " + events);
        assertEquals(Set.of("PUT " + prefix + "k3", "DELETE " + prefix + "k0"), events);
        assertEquals(1, watch.resyncs(), "one resync: the new watch stays up");
      }
    }
  }
}
