package io.sscmic.gateway.handshake;

/** The two directions of a v2 connection; each has its own handshake and record keys and counters. */
public enum Direction {
  CLIENT_TO_SERVER("c2s"),
  SERVER_TO_CLIENT("s2c");

  private final String label;

  Direction(String label) {
    this.label = label;
  }

  /** "c2s" or "s2c": the suffix of the HKDF labels. */
  public String label() {
    return label;
  }

  /** The direction an endpoint sends in. */
  public static Direction sending(boolean initiator) {
    return initiator ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
  }

  /** The direction an endpoint receives in. */
  public static Direction receiving(boolean initiator) {
    return initiator ? SERVER_TO_CLIENT : CLIENT_TO_SERVER;
  }
}
