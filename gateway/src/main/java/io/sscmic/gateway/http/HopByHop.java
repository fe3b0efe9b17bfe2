package io.sscmic.gateway.http;

import io.vertx.core.MultiMap;
import java.util.Locale;
import java.util.Set;

/** RFC 9110 section 7.6.1: headers that describe one connection and must not be forwarded. */
final class HopByHop {
  private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {
  }

  /** Copies {@code from} into {@code to} without hop-by-hop headers, nor those Connection names. */
  static void copy(MultiMap from, MultiMap to) {
    Set<String> named = new java.util.HashSet<>();
    for (String c : from.getAll("connection")) {
      for (String token : c.split(",")) {
        named.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
    from.forEach((name, value) -> {
      String n = name.toLowerCase(Locale.ROOT);
      // A pseudo-header (":path") is HTTP/2 framing, never a header to copy.
      if (!ALWAYS.contains(n) && !named.contains(n) && !n.startsWith(":")) {
        to.add(name, value);
      }
    });
  }
}
