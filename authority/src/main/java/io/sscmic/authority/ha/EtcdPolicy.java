package io.sscmic.authority.ha;

import static io.sscmic.authority.ha.EtcdStore.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.sscmic.authority.policy.MeshPolicy;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * The mesh policy ({@code policy.json}, edited with {@code sscmic policy} on any replica's host)
 * shared by the authority replicas under {@code <prefix>policy}. Each replica reconciles every
 * second: its file newer than etcd's copy (a higher version: an edit on this host) goes to etcd
 * with a compare-and-swap on the key's revision; etcd's newer copy replaces its file. Two edits on
 * two hosts that reach the same version: the first in etcd wins, the other is logged and dropped
 * (its host's file is replaced), so every replica sends the nodes the same policy.
 */
public final class EtcdPolicy {
  private static final Logger LOG = Logger.getLogger(EtcdPolicy.class.getName());
  private final KV kv;
  private final ByteSequence key;

  public EtcdPolicy(EtcdStore store) {
    this.kv = store.client().getKVClient();
    this.key = store.key("policy");
  }

  /**
   * Brings {@code file} and etcd to the newer of the two, under the file's edit lock.
   *
   * @return the policy both now hold
   */
  public MeshPolicy reconcile(Path file) throws IOException {
    return MeshPolicy.locked(file, () -> {
      for (int attempt = 0; ; attempt++) {
        boolean haveFile = Files.exists(file);
        MeshPolicy local = MeshPolicy.load(file);
        List<KeyValue> kvs = await(kv.get(key)).getKvs();
        MeshPolicy there = kvs.isEmpty() ? null
            : MeshPolicy.fromJson(new JsonObject(kvs.get(0).getValue().toString(StandardCharsets.UTF_8)));
        if (there == null && !haveFile) {
          return local; // the default everywhere: nothing to share
        }
        if (there == null || local.version() > there.version()) {
          // This host's edit: into etcd, unless another replica wrote meanwhile (then read again).
          Cmp unchanged = there == null ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
              : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kvs.get(0).getModRevision()));
          boolean stored = await(kv.txn().If(unchanged).Then(Op.put(key,
              EtcdStore.bytes(local.toJson().encode()), PutOption.DEFAULT)).commit()).isSucceeded();
          if (stored) {
            LOG.info(() -> "authority: mesh policy version " + local.version() + " from this host's "
                + MeshPolicy.FILE + " stored in etcd for every replica");
            return local;
          }
          if (attempt >= 3) {
            throw new IOException("the policy in etcd kept changing while this replica wrote its own");
          }
          continue;
        }
        if (!there.equals(local)) {
          if (haveFile && local.version() == there.version()) {
            LOG.warning(() -> "authority: this host's " + MeshPolicy.FILE + " version " + local.version()
                + " differs from the one another replica stored first; replaced by it (lost edit: "
                + local.lines() + "; edit the policy on one replica at a time)");
          }
          there.write(file);
        }
        return there;
      }
    });
  }
}
