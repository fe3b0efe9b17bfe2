package io.sscmic.gateway.mux;

/**
 * Who may open a stream to which service, asked once per stream open by the receiving node with
 * the caller's authenticated node id (from the secure layer, never from a header). Implementations
 * are called on an event loop: they must answer from memory, without blocking.
 */
@FunctionalInterface
public interface StreamPolicy {
  Decision check(String callerNodeId, String service);

  /** The default of a new mesh, and today's behaviour: every authenticated member reaches every service. */
  StreamPolicy ALLOW_MEMBERS = (caller, service) -> Decision.ALLOW;

  /** The answer: allowed, or refused with a short reason for logs. */
  record Decision(boolean allowed, String why) {
    public static final Decision ALLOW = new Decision(true, "allowed");

    public static Decision refuse(String why) {
      return new Decision(false, why);
    }
  }
}
