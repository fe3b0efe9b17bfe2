package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.resolve.Endpoint;
import io.sscmic.gateway.resolve.StaticPeerResolver;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Destinations from the registry: the resolver's peers of a service, at the service's port, live. */
class RegistryDestinationsTest {
  private final List<Set<RegistryDestinations.Destination>> told = new ArrayList<>();
  private final StaticPeerResolver registry = new StaticPeerResolver(Map.of(
      "redis", List.of(new Endpoint("10.0.0.5", 7443, "b"), new Endpoint("redis-2.internal", 7443, null)),
      "pg", List.of(new Endpoint("10.0.0.5", 7443, "b"))));
  private final RegistryDestinations destinations = new RegistryDestinations("a", List.of(
      new InterceptConfig.RegistryCapture("redis", 6379), new InterceptConfig.RegistryCapture("pg", 5432),
      new InterceptConfig.RegistryCapture("unknown", 80)), told::add);

  private Optional<InterceptRoute> route(String address, int port) throws Exception {
    return destinations.route(InetAddress.getByName(address), port);
  }

  @Test
  void eachPeerAddressOfAServiceAtItsPortIsCapturedAndCarriedToThatService() throws Exception {
    destinations.start(registry);
    InterceptRoute redis = route("10.0.0.5", 6379).orElseThrow();
    assertEquals("redis", redis.service());
    assertEquals(SocketAddress.inetSocketAddress(7443, "10.0.0.5"), redis.peer());
    assertEquals("pg", route("10.0.0.5", 5432).orElseThrow().service(), "one host, two services, two ports");
    assertTrue(route("10.0.0.5", 6380).isEmpty(), "another port of the host is not the service's");
    assertTrue(route("10.0.0.6", 6379).isEmpty(), "an address no peer has");
    // A peer registered by name cannot be matched by the kernel: skipped (the log says so), never guessed.
    assertEquals(Set.of(new RegistryDestinations.Destination("10.0.0.5", 6379),
        new RegistryDestinations.Destination("10.0.0.5", 5432)), told.get(told.size() - 1));
  }

  @Test
  void theSetFollowsTheRegistryAndIsRewrittenOnlyWhenItChanges() throws Exception {
    destinations.start(registry);
    int before = told.size();
    registry.update("redis", List.of(new Endpoint("10.0.0.6", 7443, "c")));
    assertTrue(route("10.0.0.5", 6379).isEmpty(), "a peer that left the registry is no longer captured");
    assertEquals("redis", route("10.0.0.6", 6379).orElseThrow().service(), "a new peer is, at once");
    assertEquals(before + 1, told.size());
    assertEquals(Set.of(new RegistryDestinations.Destination("10.0.0.6", 6379),
        new RegistryDestinations.Destination("10.0.0.5", 5432)), told.get(told.size() - 1));
    registry.update("redis", List.of(new Endpoint("10.0.0.6", 7443, "c")));
    assertEquals(before + 1, told.size(), "the same set again: the kernel's set is not rewritten");
    destinations.stop();
    registry.update("redis", List.of());
    assertEquals("redis", route("10.0.0.6", 6379).orElseThrow().service(), "after stop no change is followed");
  }
}
