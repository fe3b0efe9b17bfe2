package io.sscmic.gateway.intercept;

import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel state that captures connections, written from an {@link InterceptConfig}: one
 * nftables table of our own ({@code table inet sscmic}) and a policy-routing rule with its table.
 * How a local application's connection reaches the sidecar (TPROXY works in prerouting only):
 * <ol>
 *   <li>{@code output} (a route chain): a packet to a captured destination gets the mark; the
 *       sidecar's own connections (its uid, its tunnel peers and authority), local destinations
 *       and everything else pass untouched;</li>
 *   <li>the rule {@code fwmark MARK lookup TABLE} and the route {@code local 0.0.0.0/0 dev lo} in
 *       TABLE send a marked packet back in through loopback, as if it had arrived;</li>
 *   <li>{@code prerouting}: a marked packet on {@code lo} is given to the transparent listener
 *       ({@code tproxy}), whose accepted socket keeps the original destination as its local address;
 *       when no listener is there (the node is down) the connection is refused with a reset at once.</li>
 * </ol>
 * With {@code inbound-ports}, chain {@code input} resets connections from outside (not on
 * {@code lo}) to those local ports and counts them in the named counter {@value #PLAINTEXT_REFUSED}.
 * The script replaces the whole table in one nft transaction (add, delete, define), so installing
 * twice leaves one copy and a stale set from a crashed node is replaced, never merged.
 */
public final class InterceptRules {
  /** Our table; nothing else is touched. */
  public static final String TABLE = "inet sscmic";
  /** The set of destinations from the registry ({@code ipv4_addr . inet_service}), filled by the node. */
  public static final String REGISTRY_SET = "registry_destinations";
  /** The named counter of connections refused by inbound capture. */
  public static final String PLAINTEXT_REFUSED = "plaintext_refused";

  private InterceptRules() {
  }

  /** Resolves a host name of the sidecar's own destinations to its IPv4 addresses (may block). */
  @FunctionalInterface
  public interface NameResolver {
    List<String> ipv4(String host);

    /** The system resolver; a name that does not resolve gives none (and the log says so). */
    static NameResolver system() {
      return host -> {
        try {
          return java.util.Arrays.stream(java.net.InetAddress.getAllByName(host))
              .filter(a -> a instanceof java.net.Inet4Address).map(java.net.InetAddress::getHostAddress).toList();
        } catch (java.net.UnknownHostException e) {
          return List.of();
        }
      };
    }
  }

  /** The nft script with the sidecar's own destinations given by address only (names are skipped). */
  public static String nftScript(InterceptConfig c) {
    return nftScript(c, host -> List.of());
  }

  /**
   * The nft script ({@code nft -f -}) that installs, or atomically replaces, our table. Own
   * destinations given by name (a peer {@code billing-0.billing:7443}) are excluded at the
   * addresses {@code names} gives now: a later change of address is not followed (set
   * {@code intercept.exclude-uid} for that).
   */
  public static String nftScript(InterceptConfig c, NameResolver names) {
    String mark = hex(c.mark());
    List<String> out = new ArrayList<>();
    out.add("type route hook output priority mangle; policy accept;");
    out.add("meta nfproto != ipv4 return");
    out.add("meta l4proto != tcp return");
    if (c.excludeUid() != null) {
      out.add("meta skuid " + c.excludeUid() + " return comment \"the sidecar's own connections\"");
    }
    out.add("fib daddr type local return comment \"local destinations\"");
    for (SocketAddress own : c.ownDestinations()) {
      String host = own.hostAddress() != null ? own.hostAddress() : own.host();
      if (host != null && host.matches("\\d+(\\.\\d+){3}")) {
        out.add("ip daddr " + host + " tcp dport " + own.port() + " return comment \"the sidecar's peer or authority\"");
      } else if (host != null && !host.contains(":")) {
        for (String ip : names.ipv4(host)) {
          out.add("ip daddr " + ip + " tcp dport " + own.port() + " return comment \"the sidecar's peer or authority "
              + host + "\"");
        }
      }
    }
    for (InterceptRoute r : c.routes()) {
      out.add(r.match().nft() + " meta mark set " + mark + " counter comment \"" + r.service() + "\"");
    }
    if (!c.registry().isEmpty()) {
      out.add("ip daddr . tcp dport @" + REGISTRY_SET + " meta mark set " + mark
          + " counter comment \"destinations from the registry\"");
    }
    StringBuilder s = new StringBuilder();
    s.append("# sscmic transparent interception: generated, replaced as a whole\n");
    s.append("add table ").append(TABLE).append('\n');
    s.append("delete table ").append(TABLE).append('\n');
    s.append("table ").append(TABLE).append(" {\n");
    if (!c.inboundPorts().isEmpty()) {
      // Inbound capture: the local services' ports answer the sidecar (over loopback) only.
      // Plaintext from outside is reset and counted; IPv4 and IPv6 alike (an inet chain).
      s.append("  counter ").append(PLAINTEXT_REFUSED).append(" {\n  }\n");
      s.append("  chain input {\n");
      s.append("    type filter hook input priority filter; policy accept;\n");
      s.append("    iif != \"lo\" tcp dport { ").append(c.inboundPorts().stream().sorted().map(String::valueOf)
          .collect(java.util.stream.Collectors.joining(", "))).append(" } counter name \"").append(PLAINTEXT_REFUSED)
          .append("\" reject with tcp reset comment \"plaintext to a local service: only the sidecar may connect\"\n");
      s.append("  }\n");
    }
    if (!c.capturesOutbound()) {
      s.append("}\n");
      return s.toString();
    }
    if (!c.registry().isEmpty()) {
      // Starts empty: the node fills it from the registry (registrySetScript) and keeps it current.
      s.append("  set ").append(REGISTRY_SET).append(" {\n    type ipv4_addr . inet_service\n  }\n");
    }
    s.append("  chain output {\n");
    out.forEach(l -> s.append("    ").append(l).append('\n'));
    s.append("  }\n");
    s.append("  chain prerouting {\n");
    s.append("    type filter hook prerouting priority mangle; policy accept;\n");
    s.append("    meta nfproto ipv4 iif \"lo\" meta mark ").append(mark).append(" meta l4proto tcp tproxy ip to ")
        .append(c.listen().hostAddress()).append(':').append(c.listen().port()).append(" counter accept\n");
    // tproxy finds no transparent listener (the node is down): refuse at once. Without this the
    // kernel cannot even answer with a reset (its source would be a foreign address) and the
    // application's SYNs go unanswered until its own timeout: a black hole.
    s.append("    meta nfproto ipv4 iif \"lo\" meta mark ").append(mark)
        .append(" meta l4proto tcp counter reject with tcp reset comment \"no listener: refused\"\n");
    s.append("  }\n");
    s.append("}\n");
    return s.toString();
  }

  /**
   * The script that makes the set of destinations from the registry exactly {@code destinations},
   * in one transaction (a connection never sees it half-written).
   */
  public static String registrySetScript(java.util.Collection<RegistryDestinations.Destination> destinations) {
    StringBuilder s = new StringBuilder("flush set " + TABLE + " " + REGISTRY_SET + "\n");
    if (!destinations.isEmpty()) {
      s.append("add element ").append(TABLE).append(' ').append(REGISTRY_SET).append(" { ")
          .append(destinations.stream().map(RegistryDestinations.Destination::nft).sorted()
              .collect(java.util.stream.Collectors.joining(", "))).append(" }\n");
    }
    return s.toString();
  }

  /** The script that removes our table, if it is there ({@code add} first makes it idempotent). */
  public static String nftRemoveScript() {
    return "add table " + TABLE + "\ndelete table " + TABLE + "\n";
  }

  /** {@code ip rule} selector words of our policy rule. */
  public static List<String> ruleSelector(int mark, int table) {
    return List.of("fwmark", hex(mark), "lookup", String.valueOf(table));
  }

  /** The route that delivers every marked packet locally; {@code replace} makes it idempotent. */
  public static List<String> localRoute(int table) {
    return List.of("ip", "-4", "route", "replace", "local", "0.0.0.0/0", "dev", "lo", "table", String.valueOf(table));
  }

  public static String hex(int mark) {
    return "0x" + Integer.toHexString(mark);
  }
}
