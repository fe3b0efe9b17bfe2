package io.sscmic.gateway.node;

import io.sscmic.gateway.config.ConfigKey;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeKeys;
import io.sscmic.gateway.config.OutboundRoute;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** What a config reload may change and what it may not, and a one-line account of a change. */
final class ConfigChanges {
  private ConfigChanges() {
  }

  /**
   * The keys whose values differ between the running config and the new one and that cannot
   * change while the node runs ({@link ConfigKey.Reload#RESTART} in {@link NodeKeys}), in the
   * table's order, a list or map of them named once ({@code http.routes}).
   */
  static List<String> fixedKeysChanged(NodeConfig running, NodeConfig next) {
    Set<String> keys = new LinkedHashSet<>();
    for (ConfigKey<?> key : NodeKeys.ALL) {
      if (key.reload() == ConfigKey.Reload.RESTART
          && !Objects.equals(key.current().apply(running), key.current().apply(next))) {
        keys.add(key.reloadName());
      }
    }
    return List.copyOf(keys);
  }

  /** For example {@code services [echo, web]; outbound 127.0.0.1:9001 -> billing at 10.0.0.7:7443}. */
  static String describe(NodeConfig before, NodeConfig after) {
    List<String> out = new ArrayList<>();
    for (OutboundRoute r : after.outbound()) {
      out.add(r.listen().host() + ":" + r.listen().port() + " -> " + r.service() + (r.peer() == null ? " by name"
          : " at " + r.peer().host() + ":" + r.peer().port()));
    }
    String what = "services " + after.services().keySet().stream().sorted().toList() + "; outbound "
        + (out.isEmpty() ? "none" : String.join(", ", out));
    boolean same = before.services().equals(after.services()) && before.outbound().equals(after.outbound());
    return (same ? "no route changed, " : "") + what;
  }
}
