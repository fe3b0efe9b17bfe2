package io.sscmic.admin.ui;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Percentiles from a latency histogram's cumulative bucket counts, the way Prometheus's
 * {@code histogram_quantile} computes them (linear within a bucket; beyond the last bound, the last
 * bound), so the dashboard and a Grafana panel agree. A histogram here is
 * {@code {bounds: [seconds], counts: [cumulative], count}} (as {@link MeterSnapshot} takes it).
 */
final class Histogram {
  private Histogram() {
  }

  /** {@code later - earlier}, bucket by bucket: the observations between two snapshots. */
  static JsonObject delta(JsonObject later, JsonObject earlier) {
    if (later == null) {
      return null;
    }
    if (earlier == null) {
      return later;
    }
    JsonArray a = later.getJsonArray("counts");
    JsonArray b = earlier.getJsonArray("counts");
    JsonArray counts = new JsonArray();
    for (int i = 0; i < a.size(); i++) {
      counts.add(a.getLong(i) - (i < b.size() ? b.getLong(i) : 0));
    }
    return new JsonObject().put("bounds", later.getJsonArray("bounds")).put("counts", counts)
        .put("count", later.getLong("count") - earlier.getLong("count"));
  }

  /** Two histograms with the same bounds, added (both directions of the tunnel's handshakes). */
  static JsonObject sum(JsonObject a, JsonObject b) {
    if (a == null) {
      return b;
    }
    JsonArray x = a.getJsonArray("counts");
    JsonArray y = b.getJsonArray("counts");
    JsonArray counts = new JsonArray();
    for (int i = 0; i < x.size(); i++) {
      counts.add(x.getLong(i) + y.getLong(i));
    }
    return new JsonObject().put("bounds", a.getJsonArray("bounds")).put("counts", counts)
        .put("count", a.getLong("count") + b.getLong("count"));
  }

  /** The q-quantile in milliseconds, or null without observations. */
  static Double quantileMillis(JsonObject h, double q) {
    if (h == null || h.getLong("count") <= 0) {
      return null;
    }
    JsonArray bounds = h.getJsonArray("bounds");
    JsonArray counts = h.getJsonArray("counts");
    double rank = q * h.getLong("count");
    double lower = 0;
    long below = 0;
    for (int i = 0; i < bounds.size(); i++) {
      long c = counts.getLong(i);
      double upper = bounds.getDouble(i);
      if (c >= rank && c > below) {
        return 1000 * (lower + (upper - lower) * (rank - below) / (c - below));
      }
      lower = upper;
      below = c;
    }
    return 1000 * lower; // in the +Inf bucket: the last finite bound, as histogram_quantile
  }
}
