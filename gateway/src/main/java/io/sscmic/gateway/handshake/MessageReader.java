package io.sscmic.gateway.handshake;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Reads a handshake message field by field; any short or out-of-bounds field is {@code malformed}. */
final class MessageReader {
  private final byte[] buf;
  private int pos;
  private final int end;
  private final String what;

  MessageReader(byte[] buf, int from, int to, String what) {
    this.buf = buf;
    this.pos = from;
    this.end = to;
    this.what = what;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return end - pos;
  }

  int u8() throws HandshakeFailure {
    need(1);
    return buf[pos++] & 0xFF;
  }

  int u16() throws HandshakeFailure {
    need(2);
    int v = (buf[pos] & 0xFF) << 8 | buf[pos + 1] & 0xFF;
    pos += 2;
    return v;
  }

  byte[] bytes(int n) throws HandshakeFailure {
    need(n);
    byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  /** A u8 length then that many bytes of UTF-8, length within [1, max]. */
  String shortString(int max, String field) throws HandshakeFailure {
    int n = u8();
    if (n < 1 || n > max) {
      throw malformed(field + " of " + n + " bytes");
    }
    need(n);
    try {
      String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, pos, n)).toString();
      pos += n;
      return s;
    } catch (CharacterCodingException e) {
      throw malformed(field + " is not UTF-8");
    }
  }

  void expectEnd() throws HandshakeFailure {
    if (pos != end) {
      throw malformed((end - pos) + " trailing bytes");
    }
  }

  private void need(int n) throws HandshakeFailure {
    if (n < 0 || end - pos < n) {
      throw malformed("truncated");
    }
  }

  HandshakeFailure malformed(String detail) {
    return new HandshakeFailure(AlertReason.MALFORMED, what + ": " + detail);
  }
}
