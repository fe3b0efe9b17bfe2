package io.sscmic.keysyn.registry;

import java.time.Duration;

/**
 * The authority's answer to a registration: the entry lives {@code ttl} past the last renewal, and
 * the node renews every {@code renew} (both set on the authority, so one place decides).
 */
public record LeaseTerms(String node, Duration ttl, Duration renew, long version) {
}
