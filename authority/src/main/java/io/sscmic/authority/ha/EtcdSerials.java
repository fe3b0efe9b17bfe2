package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.sscmic.authority.ca.SerialNumbers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Certificate serials from a counter in etcd ({@code <prefix>ca/serial}), shared by the authority
 * replicas. Each draw is a compare-and-swap: read the counter and its modification revision, then
 * "if the key's mod revision is still that one, write counter + 1", which etcd decides
 * linearizably; a replica that lost the race reads again. So no two replicas ever get one counter
 * value, and a serial ({@link SerialNumbers#fromCounter}) is never issued twice.
 */
public final class EtcdSerials implements SerialNumbers {
  /** Compare-and-swap rounds before a draw gives up (replicas issue a few certificates a second at most). */
  private static final int MAX_ROUNDS = 64;
  private final KV kv;
  private final ByteSequence key;
  private final SecureRandom random;

  public EtcdSerials(EtcdStore store, SecureRandom random) {
    this.kv = store.client().getKVClient();
    this.key = store.key("ca/serial");
    this.random = random;
  }

  @Override
  public BigInteger next() {
    try {
      return SerialNumbers.fromCounter(nextCounter(), random);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw a certificate serial from etcd: " + e.getMessage(), e);
    }
  }

  /** The next counter value, this replica's alone. Blocking. */
  public long nextCounter() throws IOException {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      GetResponse got = await(kv.get(key));
      long current = 0;
      Cmp unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
      if (got.getCount() > 0) {
        KeyValue kvp = got.getKvs().get(0);
        current = Long.parseLong(kvp.getValue().toString(StandardCharsets.UTF_8).trim());
        unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kvp.getModRevision()));
      }
      long next = current + 1;
      TxnResponse r = await(kv.txn().If(unchanged)
          .Then(Op.put(key, EtcdStore.bytes(Long.toString(next)), io.etcd.jetcd.options.PutOption.DEFAULT))
          .commit());
      if (r.isSucceeded()) {
        return next;
      }
    }
    throw new IOException("the serial counter " + key.toString(StandardCharsets.UTF_8) + " changed under "
        + MAX_ROUNDS + " attempts in a row");
  }
}
