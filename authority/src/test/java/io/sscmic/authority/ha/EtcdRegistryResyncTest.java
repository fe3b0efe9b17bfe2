package io.sscmic.authority.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static io.sscmic.authority.ha.Eventually.await;

import io.etcd.jetcd.options.CompactOption;
import io.sscmic.authority.registry.ServiceRegistry;
import io.sscmic.keysyn.registry.Registration;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica's registry keeps following etcd after jetcd gives a watch up for good. jetcd resumes a
 * watch by itself after a connection error, but closes it on a halt error, such as a start
 * revision that etcd compacted away (what a watch resumed after a long outage meets): before, the
 * replica logged that entries "stop arriving until a restart", and they did. Here the watch is
 * made to start from a compacted revision on a real etcd; the registry reads the prefix again,
 * watches from there, and a registration written by another replica afterwards arrives.
 */
class EtcdRegistryResyncTest {
  @RegisterExtension
  static final EtcdExtension ETCD = new EtcdExtension();

  @Test
  void aWatchThatEtcdEndsIsFollowedAgainFromAFreshRead() throws Exception {
    String prefix = "/resync-" + System.nanoTime() + "/";
    Duration ttl = Duration.ofSeconds(60);
    try (EtcdStore readerStore = new EtcdStore(List.of(ETCD.endpoint()), prefix);
         EtcdStore writerStore = new EtcdStore(List.of(ETCD.endpoint()), prefix)) {
      ServiceRegistry reader = new ServiceRegistry();
      EtcdRegistry following = new EtcdRegistry(readerStore, reader, ttl).start();
      EtcdRegistry writer = new EtcdRegistry(writerStore, new ServiceRegistry(), ttl).start();
      writer.put(new Registration("n1", List.of("billing"), "10.0.0.1", 7443), ttl.toNanos());
      await(() -> reader.entries().size() == 1, "n1 through the watch");

      // Some history, compacted away; then the watch is started again from a revision before it.
      for (int i = 0; i < 3; i++) { // puts are asynchronous (a lease, then the key): distinct keys
        writer.put(new Registration("m" + i, List.of("billing"), "10.0.0." + (2 + i), 7443), ttl.toNanos());
      }
      await(() -> reader.entries().size() == 4, "m0, m1, m2");
      long now = EtcdStore.await(writerStore.client().getKVClient().get(EtcdStore.bytes(prefix)))
          .getHeader().getRevision();
      EtcdStore.await(writerStore.client().getKVClient().compact(now, CompactOption.builder().withCompactPhysical(true)
          .build()));
      following.watchFrom(now - 2);

      await(() -> following.resyncs() == 1, "the registry to read the prefix again after etcd ended its watch");
      writer.put(new Registration("n2", List.of("orders"), "10.0.0.9", 7443), ttl.toNanos());
      await(() -> reader.entries().size() == 5, "n2, registered on another replica after the resync");
      assertEquals(List.of("m0", "m1", "m2", "n1", "n2"),
          reader.entries().stream().map(Registration::node).sorted().toList());
      following.close();
      writer.close();
    }
  }
}
