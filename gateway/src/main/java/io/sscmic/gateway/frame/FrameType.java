package io.sscmic.gateway.frame;

/**
 * The frame types of the tunnel protocol (docs/PROTOCOL.md). Handshake frames travel in clear with
 * a MAC (HELLO, ACCEPT) or unauthenticated (REFUSE); stream frames are AEAD-sealed.
 */
public enum FrameType {
  /** An empty DATA frame is the client's key confirmation, its first frame after ACCEPT. */
  DATA(0x01, Protocol.TAG_LENGTH, Protocol.TAG_LENGTH + Protocol.MAX_PAYLOAD),
  END(0x02, Protocol.TAG_LENGTH, Protocol.TAG_LENGTH),
  ERROR(0x03, Protocol.TAG_LENGTH + 1, Protocol.TAG_LENGTH + 1 + Protocol.MAX_REASON_TEXT),
  HELLO(0x10, HelloFrame.MIN_BODY, HelloFrame.MAX_BODY),
  ACCEPT(0x11, AcceptFrame.BODY_LENGTH, AcceptFrame.BODY_LENGTH),
  REFUSE(0x12, 1, 1 + Protocol.MAX_REASON_TEXT);

  /** What a stream carries once the handshake is over. */
  public static final java.util.Set<FrameType> SEALED = java.util.Collections.unmodifiableSet(
      java.util.EnumSet.of(DATA, END, ERROR));

  private static final FrameType[] BY_CODE = new FrameType[256];

  static {
    for (FrameType t : values()) {
      BY_CODE[t.code] = t;
    }
  }

  private final int code;
  private final int minBody;
  private final int maxBody;

  FrameType(int code, int minBody, int maxBody) {
    this.code = code;
    this.minBody = minBody;
    this.maxBody = maxBody;
  }

  public int code() {
    return code;
  }

  public int minBody() {
    return minBody;
  }

  public int maxBody() {
    return maxBody;
  }

  public boolean isSealed() {
    return code < 0x10;
  }

  /** The type for a wire code, or null if unknown. */
  public static FrameType fromCode(int code) {
    return BY_CODE[code & 0xFF];
  }
}
