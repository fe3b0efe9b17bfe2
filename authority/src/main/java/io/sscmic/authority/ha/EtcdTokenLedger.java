package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.sscmic.authority.TokenLedger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Spent enrollment tokens in etcd, shared by every authority replica. A token is spent by one
 * transaction: "if the key {@code <prefix>tokens/used/<nonce>} does not exist (version 0), create
 * it", which etcd decides linearizably, so exactly one of any number of replicas racing on a token
 * wins. The key carries a lease that ends with the token's validity, so etcd forgets spent tokens
 * once they could not be used anyway. Blocking calls with a bounded wait.
 */
public final class EtcdTokenLedger implements TokenLedger, AutoCloseable {
  private final EtcdStore store;
  private final boolean ownsStore;
  private final KV kv;
  private final Lease leases;

  /**
   * A ledger with its own etcd client.
   *
   * @param endpoints etcd client URLs, e.g. {@code http://10.0.0.5:2379}
   * @param prefix the key prefix of this mesh, e.g. {@code /sscmic/mesh-a/}
   */
  public EtcdTokenLedger(List<String> endpoints, String prefix) {
    this(new EtcdStore(endpoints, prefix), true);
  }

  /** A ledger on a replica's shared etcd connection (closed by its owner). */
  public EtcdTokenLedger(EtcdStore store) {
    this(store, false);
  }

  private EtcdTokenLedger(EtcdStore store, boolean ownsStore) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.kv = store.client().getKVClient();
    this.leases = store.client().getLeaseClient();
  }

  private ByteSequence key(String nonce) {
    return store.key("tokens/used/" + nonce);
  }

  @Override
  public boolean consume(String nonce, long expiry) throws IOException {
    long ttl = Math.max(60, expiry - Instant.now().getEpochSecond() + 60);
    long lease = await(leases.grant(ttl)).getID();
    ByteSequence key = key(nonce);
    TxnResponse r = await(kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(key, ByteSequence.from(Long.toString(expiry), StandardCharsets.UTF_8),
            PutOption.builder().withLeaseId(lease).build()))
        .commit());
    if (!r.isSucceeded()) {
      leases.revoke(lease); // not needed: the key exists under another replica's lease
    }
    return r.isSucceeded();
  }

  @Override
  public void release(String nonce) throws IOException {
    await(kv.delete(key(nonce)));
  }

  @Override
  public boolean isUsed(String nonce) throws IOException {
    return await(kv.get(key(nonce))).getCount() > 0;
  }

  @Override
  public void close() {
    if (ownsStore) {
      store.close();
    }
  }
}
