package io.sscmic.gateway.intercept;

import io.sscmic.gateway.config.ConfigException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which original destinations a captured connection may have: an IPv4 address or CIDR block, and
 * one port, a port range or any port. Written {@code 10.1.0.5:6379}, {@code 10.1.0.0/16:8000-8999}
 * or {@code 10.1.0.0/16} (any port). IPv4 only: the rules are written for the ip family.
 *
 * @param network the block's first address, as an unsigned 32-bit value
 * @param prefix 0 to 32
 * @param fromPort first port, 1 to 65535 (1 for any port)
 * @param toPort last port (65535 for any port)
 */
public record DestinationMatch(long network, int prefix, int fromPort, int toPort) {
  private static final Pattern FORM = Pattern.compile(
      "(\\d{1,3}(?:\\.\\d{1,3}){3})(?:/(\\d{1,2}))?(?::(\\d{1,5})(?:-(\\d{1,5}))?)?");

  public DestinationMatch {
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix " + prefix);
    }
    if (fromPort < 1 || toPort > 65535 || fromPort > toPort) {
      throw new IllegalArgumentException("ports " + fromPort + "-" + toPort);
    }
    network &= mask(prefix);
  }

  /** Parses the config form, naming {@code key} in the error. */
  public static DestinationMatch parse(String key, String text) {
    Matcher m = FORM.matcher(text.trim());
    if (!m.matches()) {
      throw new ConfigException(key, "expected an IPv4 address or CIDR block with an optional port or port range, "
          + "e.g. 10.1.0.5:6379, 10.1.0.0/16:8000-8999 or 10.1.0.0/16 (any port); got '" + text + "'");
    }
    long address = 0;
    for (String octet : m.group(1).split("\\.")) {
      int o = Integer.parseInt(octet);
      if (o > 255) {
        throw new ConfigException(key, "not an IPv4 address: " + m.group(1));
      }
      address = address << 8 | o;
    }
    int prefix = m.group(2) == null ? 32 : Integer.parseInt(m.group(2));
    if (prefix > 32) {
      throw new ConfigException(key, "prefix /" + prefix + " is more than 32");
    }
    if ((address & ~mask(prefix) & 0xffffffffL) != 0) {
      throw new ConfigException(key, m.group(1) + "/" + prefix + " has host bits set; the block starts at "
          + dotted(address & mask(prefix)));
    }
    int from = m.group(3) == null ? 1 : port(key, m.group(3));
    int to = m.group(4) != null ? port(key, m.group(4)) : m.group(3) == null ? 65535 : from;
    if (from > to) {
      throw new ConfigException(key, "port range " + from + "-" + to + " is empty");
    }
    return new DestinationMatch(address, prefix, from, to);
  }

  private static int port(String key, String text) {
    int p = Integer.parseInt(text);
    if (p < 1 || p > 65535) {
      throw new ConfigException(key, "port " + p + " is outside 1-65535");
    }
    return p;
  }

  private static long mask(int prefix) {
    return prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
  }

  /** Whether a connection to {@code address}:{@code port} is one of ours. */
  public boolean matches(InetAddress address, int port) {
    if (!(address instanceof Inet4Address) || port < fromPort || port > toPort) {
      return false;
    }
    byte[] b = address.getAddress();
    long a = (b[0] & 0xffL) << 24 | (b[1] & 0xffL) << 16 | (b[2] & 0xffL) << 8 | (b[3] & 0xffL);
    return (a & mask(prefix)) == network;
  }

  public boolean anyPort() {
    return fromPort == 1 && toPort == 65535;
  }

  /** The nftables expression that selects these destinations ({@code ip daddr ... tcp dport ...}). */
  public String nft() {
    String daddr = "ip daddr " + dotted(network) + (prefix == 32 ? "" : "/" + prefix);
    if (anyPort()) {
      return daddr + " meta l4proto tcp";
    }
    return daddr + " tcp dport " + (fromPort == toPort ? String.valueOf(fromPort) : fromPort + "-" + toPort);
  }

  static String dotted(long a) {
    return (a >> 24 & 0xff) + "." + (a >> 16 & 0xff) + "." + (a >> 8 & 0xff) + "." + (a & 0xff);
  }

  @Override
  public String toString() {
    return dotted(network) + (prefix == 32 ? "" : "/" + prefix)
        + (anyPort() ? "" : ":" + fromPort + (fromPort == toPort ? "" : "-" + toPort));
  }
}
