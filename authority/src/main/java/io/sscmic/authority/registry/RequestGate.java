package io.sscmic.authority.registry;

import io.vertx.ext.web.RoutingContext;

/** What the authority's API lends the registry's routes: who is calling, refusals, and counting. */
public interface RequestGate {
  /** The calling node from its certificate (enrolled, valid, not revoked), or null after a 403. */
  String caller(RoutingContext rc, String op);

  /** Answers {@code status} with a fixed message and counts {@code outcome} ({@code op.reason}). */
  void refuse(RoutingContext rc, int status, String outcome, String message);

  /** Counts a request's outcome ({@code op.ok}). */
  void count(String outcome);
}
