package io.sscmic.gateway.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The configuration reference of docs/OPERATIONS.md, rendered from a table of keys: one row per
 * key with its default, environment override, what a reload does with it, its meaning and an
 * example. ConfigReferenceTest checks the docs against it and rewrites them on demand (the command
 * is in OPERATIONS.md).
 */
public final class ConfigReference {
  private ConfigReference() {
  }

  /** The lines between {@code <!-- BEGIN name -->} and {@code <!-- END name -->} in the docs. */
  public static List<String> rows(List<? extends ConfigKey<?>> table, boolean withReload) {
    List<String> lines = new ArrayList<>();
    lines.add(withReload ? "| key | default | environment | reload | meaning | example |"
        : "| key | default | meaning | example |");
    lines.add(withReload ? "| --- | --- | --- | --- | --- | --- |" : "| --- | --- | --- | --- |");
    for (ConfigKey<?> key : table) {
      String env = key.envName() == null ? "no" : "`" + key.envName() + "`";
      String reload = key.reload().name().toLowerCase(java.util.Locale.ROOT);
      lines.add("| `" + key.name() + "` | " + key.dflt().shown() + " | "
          + (withReload ? env + " | " + reload + " | " : "") + key.description() + " | " + key.example() + " |");
    }
    return lines;
  }

  /** The key names that the rows of a reference list, in order (the first column, without backticks). */
  public static List<String> keysListed(List<String> rows) {
    List<String> keys = new ArrayList<>();
    for (String row : rows) {
      if (row.startsWith("| `")) {
        keys.add(row.substring(3, row.indexOf('`', 3)));
      }
    }
    return keys;
  }

  /** {@code doc} with the lines between the markers of {@code name} replaced by {@code rows}. */
  public static String replace(String doc, String name, List<String> rows) {
    String begin = begin(name);
    String end = end(name);
    int b = doc.indexOf(begin);
    int e = doc.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("no " + begin + " ... " + end + " in the document");
    }
    return doc.substring(0, b + begin.length()) + "\n" + String.join("\n", rows) + "\n" + doc.substring(e);
  }

  /** The lines between the markers of {@code name} in {@code doc}. */
  public static List<String> section(String doc, String name) {
    int b = doc.indexOf(begin(name));
    int e = doc.indexOf(end(name));
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("no " + begin(name) + " ... " + end(name) + " in the document");
    }
    return doc.substring(b + begin(name).length(), e).strip().lines().toList();
  }

  private static String begin(String name) {
    return "<!-- BEGIN " + name + " (generated from the key table: do not edit here) -->";
  }

  private static String end(String name) {
    return "<!-- END " + name + " -->";
  }
}
