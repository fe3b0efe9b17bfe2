package io.sscmic.admin;

/**
 * The event-bus contract between a node and its admin port. The admin side only sends requests
 * to these local addresses; the node answers with JSON. Nothing here ever carries key material.
 */
public final class AdminAddresses {
  private AdminAddresses() {
  }

  /** Answers {@code {node, role, epoch, tc, secondsToNextRotation, ...}}. */
  public static String status(String node) {
    return "sscmic.admin." + node + ".status";
  }

  /** Answers {@code {ready: boolean, checks: {name: boolean}}}. */
  public static String ready(String node) {
    return "sscmic.admin." + node + ".ready";
  }

  /**
   * A dashboard action ({@code drain}, {@code reseed}, ...): the request carries a JSON argument
   * object and the answer is {@code {ok, message}}. A node that has no consumer for an action
   * does not support it (the dashboard answers 501).
   */
  public static String action(String node, String name) {
    return "sscmic.admin." + node + ".action." + name;
  }
}
