package io.sscmic.gateway.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Value parsers of the {@code intercept} section's keys that no other section has. */
final class InterceptKeys {
  private InterceptKeys() {
  }

  /** A firewall mark: decimal or 0x hex, 1 to 0x7fffffff. */
  static int mark(String text) {
    int m;
    try {
      m = Integer.decode(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a firewall mark such as 0x5353 or 21331, got '" + text + "'");
    }
    if (m < 1) {
      throw new IllegalArgumentException("a firewall mark must be more than 0");
    }
    return m;
  }

  static int uid(String text) {
    try {
      int u = Integer.parseInt(text.trim());
      if (u >= 0) {
        return u;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException("expected a numeric uid (see `id -u USER`), got '" + text + "'");
  }

  /** A list of ports ({@code [3306, 25]}) or the same comma-separated; empty: none. */
  static ValueParser<Set<Integer>> ports() {
    return (key, raw) -> {
      List<?> items = raw instanceof io.vertx.core.json.JsonArray a ? a.getList()
          : String.valueOf(raw).isBlank() || String.valueOf(raw).trim().equals("[]") ? List.of()
          : List.of(String.valueOf(raw).replace("[", "").replace("]", "").split(","));
      Set<Integer> ports = new LinkedHashSet<>();
      for (Object o : items) {
        int p;
        try {
          p = Integer.parseInt(String.valueOf(o).trim());
        } catch (NumberFormatException e) {
          p = 0;
        }
        if (p < 1 || p > 65535) {
          throw new ConfigException(key, "expected a list of ports 1-65535, e.g. [3306, 25]; got '" + o + "'");
        }
        ports.add(p);
      }
      return ports;
    };
  }
}
