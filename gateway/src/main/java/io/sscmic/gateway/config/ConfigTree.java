package io.sscmic.gateway.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merged config tree (YAML file plus environment overrides) read through a table of keys: the
 * sections and keys it may hold come from the table, so a key added to the table is accepted,
 * typed and defaulted without code here. Maps of names ({@code services.NAME}) and lists
 * ({@code outbound[i]}) are left to the caller, who knows their shape.
 */
public final class ConfigTree {
  private final JsonObject root;
  /** Section path ("" for the top) to the names it may hold, in table order. */
  private final Map<String, Set<String>> sections;

  private ConfigTree(JsonObject root, Map<String, Set<String>> sections) {
    this.root = root;
    this.sections = sections;
  }

  /** Reads {@code root} against {@code table}, refusing unknown keys (typos) and sections that are not maps. */
  public static ConfigTree of(JsonObject root, List<? extends ConfigKey<?>> table) {
    ConfigTree tree = new ConfigTree(root, sections(table));
    tree.refuseUnknownKeys();
    return tree;
  }

  /** The top-level sections of a table, in its order. */
  public static List<String> topLevel(List<? extends ConfigKey<?>> table) {
    return List.copyOf(sections(table).get(""));
  }

  private static Map<String, Set<String>> sections(List<? extends ConfigKey<?>> table) {
    Map<String, Set<String>> sections = new LinkedHashMap<>();
    Set<String> maps = new LinkedHashSet<>();
    for (ConfigKey<?> key : table) {
      String[] parts = key.name().split("\\.");
      String path = "";
      for (int i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i + 1].equals("NAME")) {
          maps.add(join(path, parts[i]));
        }
        String child = parts[i].replace("[i]", "");
        sections.computeIfAbsent(path, p -> new LinkedHashSet<>()).add(child);
        if (!child.equals(parts[i]) || maps.contains(join(path, child))) {
          break; // a list or a map of names: its caller reads it
        }
        path = join(path, child);
      }
    }
    maps.forEach(sections::remove);
    return sections;
  }

  private static String join(String path, String child) {
    return path.isEmpty() ? child : path + "." + child;
  }

  private void refuseUnknownKeys() {
    for (Map.Entry<String, Set<String>> section : sections.entrySet()) {
      String path = section.getKey();
      Object value = path.isEmpty() ? root : raw(path);
      if (value == null) {
        continue;
      }
      if (!(value instanceof JsonObject)) {
        throw new ConfigException(path, "expected a map");
      }
      for (String field : ((JsonObject) value).fieldNames()) {
        if (!section.getValue().contains(field)) {
          throw new ConfigException(join(path, field), "unknown key; expected one of "
              + new ArrayList<>(section.getValue()));
        }
      }
    }
  }

  /** Whether the tree has {@code path} (a section or key), even empty. */
  public boolean has(String path) {
    int dot = path.lastIndexOf('.');
    Object parent = dot < 0 ? root : raw(path.substring(0, dot));
    return parent instanceof JsonObject && ((JsonObject) parent).containsKey(path.substring(dot + 1));
  }

  /** The value at {@code path} as read (a map, list or scalar), or null. */
  public Object raw(String path) {
    Object at = root;
    for (String part : path.split("\\.")) {
      if (!(at instanceof JsonObject)) {
        return null;
      }
      at = ((JsonObject) at).getValue(part);
    }
    return at;
  }

  /** The typed value of {@code key}: parsed, or its default when absent. */
  public <T> T get(ConfigKey<T> key) {
    return key.parse(raw(key.name()));
  }
}
