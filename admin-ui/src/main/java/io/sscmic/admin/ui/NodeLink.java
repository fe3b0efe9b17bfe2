package io.sscmic.admin.ui;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * How the dashboard reaches its node. The admin port implements it over event-bus addresses; the
 * dashboard knows nothing of them, so this package does not depend on the admin port's.
 */
public interface NodeLink {
  /** The node's status JSON ({@code node, role, epoch, tc, ...}). */
  Future<JsonObject> status();

  /**
   * Runs a dashboard action ({@code drain}, {@code reseed}, ...); answers {@code {ok, message}}.
   * Fails with {@link UnsupportedActionException} when the node does not offer it.
   */
  Future<JsonObject> action(String name, JsonObject args);

  /** The node offers no such action (the dashboard answers 501). */
  final class UnsupportedActionException extends RuntimeException {
    public UnsupportedActionException(String name) {
      super("no handler for action " + name);
    }
  }
}
