package io.sscmic.gateway.node;

import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.OutboundRoute;
import io.sscmic.keysyn.recovery.AuthorityRecovery;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What a config reload may change and what it may not, and a one-line account of a change. */
final class ConfigChanges {
  private ConfigChanges() {
  }

  /**
   * The keys whose values differ between the running config and the new one and that cannot
   * change while the node runs: the node's identity, its key stream, its authority, the tunnel
   * listener's address, the admin port and the HTTP listener.
   */
  static List<String> fixedKeysChanged(NodeConfig running, NodeConfig next) {
    List<String> keys = new ArrayList<>();
    differs(keys, "node.id", running.nodeId(), next.nodeId());
    differs(keys, "keysyn.genesis", running.genesis(), next.genesis());
    differs(keys, "keysyn.interval", running.interval(), next.interval());
    differs(keys, "keysyn.seed-file/keysyn.seed-env", seed(running), seed(next));
    differs(keys, "authority", authority(running.authority()), authority(next.authority()));
    differs(keys, "tunnel.listen", running.tunnelListen(), next.tunnelListen());
    differs(keys, "admin.listen", running.adminListen(), next.adminListen());
    differs(keys, "admin.password-hash", running.adminPasswordHash(), next.adminPasswordHash());
    differs(keys, "admin.tls", running.adminTls(), next.adminTls());
    differs(keys, "http", running.http(), next.http());
    return keys;
  }

  /** For example {@code services [echo, web]; outbound 127.0.0.1:9001 -> billing at 10.0.0.7:7443}. */
  static String describe(NodeConfig before, NodeConfig after) {
    List<String> out = new ArrayList<>();
    for (OutboundRoute r : after.outbound()) {
      out.add(r.listen().host() + ":" + r.listen().port() + " -> " + r.service() + " at " + r.peer().host() + ":"
          + r.peer().port());
    }
    String what = "services " + after.services().keySet().stream().sorted().toList() + "; outbound "
        + (out.isEmpty() ? "none" : String.join(", ", out));
    boolean same = before.services().equals(after.services()) && before.outbound().equals(after.outbound());
    return (same ? "no route changed, " : "") + what;
  }

  private static void differs(List<String> keys, String key, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      keys.add(key);
    }
  }

  private static String seed(NodeConfig c) {
    return c.seed() == null ? null : c.seed().describe();
  }

  /** The settings without the enrollment token, which is needed only until the node has enrolled. */
  private static AuthorityRecovery.Settings authority(AuthorityRecovery.Settings a) {
    return a == null ? null : new AuthorityRecovery.Settings(a.host(), a.port(), a.caFile(), a.stateDir(), null,
        a.method(), a.refresh());
  }
}
