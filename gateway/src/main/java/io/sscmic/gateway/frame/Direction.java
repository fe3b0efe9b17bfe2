package io.sscmic.gateway.frame;

/** The two directions of a tunnel connection; each has its own traffic keys and sequence numbers. */
public enum Direction {
  CLIENT_TO_SERVER("traffic c2s"),
  SERVER_TO_CLIENT("traffic s2c");

  private final String label;

  Direction(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }
}
