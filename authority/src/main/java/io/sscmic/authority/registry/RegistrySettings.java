package io.sscmic.authority.registry;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * How the registry runs.
 *
 * @param ttl an entry lapses this long after its last renewal (a dead node's disappears within it)
 * @param renew how often nodes renew (told to them in each answer); well under {@code ttl}
 * @param owners service name to the node ids that may register it; a service not listed is open
 *     to every enrolled node
 */
public record RegistrySettings(Duration ttl, Duration renew, Map<String, Set<String>> owners) {
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RENEW = Duration.ofSeconds(10);
  public static final RegistrySettings DEFAULTS = new RegistrySettings(DEFAULT_TTL, DEFAULT_RENEW, Map.of());

  public RegistrySettings {
    if (renew.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("the renewal period (" + renew + ") must be shorter than the TTL (" + ttl
          + ")");
    }
    owners = Map.copyOf(owners);
  }

  /** Whether {@code node} may register {@code service}. */
  public boolean mayServe(String node, String service) {
    Set<String> allowed = owners.get(service);
    return allowed == null || allowed.contains(node);
  }
}
