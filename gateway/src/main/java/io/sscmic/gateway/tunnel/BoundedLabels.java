package io.sscmic.gateway.tunnel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A per-label value (a peer's meters) for at most {@code max} labels, {@value #OTHER} included:
 * labels beyond the bound share the value of {@value #OTHER}, so a metric's cardinality stays
 * bounded however many peers show up. Reads are lock-free; creating a label takes a lock.
 */
public final class BoundedLabels<V> {
  /** The label of everything beyond the bound. */
  public static final String OTHER = "other";

  private final Map<String, V> values = new ConcurrentHashMap<>();
  private final int max;
  private final Function<String, V> create;

  public BoundedLabels(int max, Function<String, V> create) {
    this.max = max;
    this.create = create;
  }

  /** The value of {@code label}, created on first use (or {@value #OTHER}'s once the bound is reached). */
  public V get(String label) {
    V v = values.get(label);
    if (v != null) {
      return v;
    }
    synchronized (this) {
      v = values.get(label);
      if (v != null) {
        return v;
      }
      // One slot stays free for OTHER, so the labels never exceed max.
      int named = values.size() - (values.containsKey(OTHER) ? 1 : 0);
      return values.computeIfAbsent(named >= max - 1 ? OTHER : label, create);
    }
  }

  public Collection<V> all() {
    return new ArrayList<>(values.values());
  }
}
