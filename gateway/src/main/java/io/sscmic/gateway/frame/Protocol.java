package io.sscmic.gateway.frame;

/** Wire constants of tunnel protocol version 1 (docs/PROTOCOL.md is the byte-for-byte reference). */
public final class Protocol {
  public static final int VERSION = 1;
  /** D (2) | type (1) | body length (2). */
  public static final int HEADER_LENGTH = 5;
  /** Largest plaintext in one DATA frame. */
  public static final int MAX_PAYLOAD = 16384;
  public static final int TAG_LENGTH = 16;
  public static final int RANDOM_LENGTH = 32;
  public static final int MAC_LENGTH = 32;
  public static final int MAX_REASON_TEXT = 200;
  public static final int MAX_SERVICE_NAME = 255;

  private Protocol() {
  }
}
