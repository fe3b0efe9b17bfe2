package io.sscmic.gateway.frame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reason texts on the wire: bounded length, printable when logged. */
final class Texts {
  private Texts() {
  }

  static byte[] truncate(String text, int maxBytes) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    return b.length <= maxBytes ? b : Arrays.copyOf(b, maxBytes);
  }

  static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return sb.toString();
  }
}
