package io.sscmic.gateway.resolve;

import io.sscmic.keysyn.registry.Registration;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A sidecar's copy of the authority's registry: the entries by node, the version they are at, and
 * each service's endpoints (ordered by node id, so every caller sees the same order). Applies the
 * watch's lines and says which services changed. Not thread-safe: its resolver confines it.
 */
final class RegistryView {
  private final Map<String, Registration> entries = new TreeMap<>();
  private String version;

  String version() {
    return version;
  }

  /** The next watch asks for a snapshot; the entries stay until it arrives. */
  void forgetVersion() {
    version = null;
  }

  int size() {
    return entries.size();
  }

  /**
   * Applies one line of the watch stream; returns the services whose endpoints may have changed.
   *
   * @throws IllegalArgumentException a line this view cannot apply (the stream is then dropped and
   *     resumed with a snapshot)
   */
  Set<String> apply(JsonObject event) {
    String type = event.getString("type");
    String at = event.getString("version");
    if (type == null || at == null) {
      throw new IllegalArgumentException("a registry event without type or version");
    }
    Set<String> touched = new TreeSet<>();
    switch (type) {
      case "snapshot" -> {
        entries.values().forEach(r -> touched.addAll(r.services()));
        Map<String, Registration> next = new TreeMap<>();
        for (Object o : event.getJsonArray("entries", new JsonArray())) {
          Registration r = Registration.fromJson((JsonObject) o);
          next.put(r.node(), r);
          touched.addAll(r.services());
        }
        entries.clear();
        entries.putAll(next);
      }
      case "update" -> {
        String node = event.getString("node");
        JsonObject e = event.getJsonObject("entry");
        Registration r = e == null ? null : Registration.fromJson(e);
        if (node == null || (r != null && !node.equals(r.node()))) {
          throw new IllegalArgumentException("a registry update whose node does not match its entry");
        }
        Registration before = r == null ? entries.remove(node) : entries.put(node, r);
        if (before != null) {
          touched.addAll(before.services());
        }
        if (r != null) {
          touched.addAll(r.services());
        }
      }
      case "ping" -> {
      }
      default -> throw new IllegalArgumentException("unknown registry event type '" + type + "'");
    }
    version = at;
    return touched;
  }

  /** Endpoints of {@code service}: every node that registered it, by node id. */
  List<Endpoint> endpoints(String service) {
    List<Endpoint> list = new ArrayList<>();
    for (Registration r : entries.values()) {
      if (r.services().contains(service)) {
        list.add(new Endpoint(r.host(), r.port(), r.node()));
      }
    }
    return list;
  }

  /** Every service some node registered. */
  Set<String> services() {
    Set<String> all = new TreeSet<>();
    entries.values().forEach(r -> all.addAll(r.services()));
    return all;
  }

  /** The view as the disk cache keeps it: a snapshot line. */
  JsonObject toJson() {
    JsonArray list = new JsonArray();
    entries.values().forEach(r -> list.add(r.toJson()));
    return new JsonObject().put("type", "snapshot").put("version", version).put("entries", list);
  }
}
