package io.sscmic.keysyn.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One node's entry in the authority's registry: the services it serves and the tunnel endpoint
 * other sidecars dial for them. The node id is the authority's word (from the node's certificate),
 * never the node's claim.
 */
public record Registration(String node, List<String> services, String host, int port) {
  /** Service names as the node config writes them (the same rule as {@code services.NAME}). */
  public static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  /** What one node may register at most: a node with more services is misconfigured or hostile. */
  public static final int MAX_SERVICES = 64;
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:%-]{1,253}");

  public Registration {
    Objects.requireNonNull(node, "node");
    services = List.copyOf(services);
    Objects.requireNonNull(host, "host");
  }

  /**
   * Checks what a node sent (or a watch delivered) and says what is wrong, or null: service names
   * by the config's rule, at most {@link #MAX_SERVICES}, a host name or IP literal, a port.
   */
  public static String problem(List<String> services, String host, int port) {
    if (services.size() > MAX_SERVICES) {
      return "at most " + MAX_SERVICES + " services";
    }
    for (String s : services) {
      if (s == null || !SERVICE_NAME.matcher(s).matches()) {
        return "service names use letters, digits, '.', '_' or '-' (at most 63)";
      }
    }
    if (host == null || !HOST.matcher(host).matches()) {
      return "the endpoint host must be a host name or an IP address";
    }
    if (port < 1 || port > 65535) {
      return "the endpoint port must be 1 to 65535";
    }
    return null;
  }

  public JsonObject toJson() {
    return new JsonObject().put("node", node).put("services", new JsonArray(services)).put("host", host)
        .put("port", port);
  }

  /** Parses and checks an entry from a watch or the disk cache; throws IllegalArgumentException. */
  public static Registration fromJson(JsonObject o) {
    try {
      String node = o.getString("node");
      List<String> services = o.getJsonArray("services").stream().map(String.class::cast).toList();
      String host = o.getString("host");
      int port = o.getInteger("port");
      String problem = problem(services, host, port);
      if (node == null || problem != null) {
        throw new IllegalArgumentException(node == null ? "no node id" : problem);
      }
      return new Registration(node, services, host, port);
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("malformed registry entry: " + e);
    }
  }
}
