package io.sscmic.gateway.intercept;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a captured connection's first bytes say it speaks. HTTP goes to the node's HTTP mode when
 * the node has an HTTP listener serving the connection's service (per-request balancing, HTTP
 * metrics); otherwise it is labelled (metrics, logs) and carried as opaque TCP like the rest, the
 * bytes reaching the peer unchanged.
 */
public enum Protocol {
  /** An HTTP/1.x request line: a method token and a space. */
  HTTP1("http1"),
  /** The HTTP/2 client connection preface (prior knowledge, h2c). */
  HTTP2("http2"),
  /** Anything else, a server-first port, or a client that sent nothing in time. */
  TCP("tcp");

  static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** RFC 9110 methods plus WebDAV's common ones; each followed by a space on the request line. */
  static final List<byte[]> HTTP1_METHODS = List.of("GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ",
      "OPTIONS ", "TRACE ", "PATCH ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ")
      .stream().map(m -> m.getBytes(StandardCharsets.US_ASCII)).toList();
  /** More bytes than any pattern needs: detection always decides by then. */
  static final int MAX_PEEK = HTTP2_PREFACE.length;

  private final String label;

  Protocol(String label) {
    this.label = label;
  }

  /** The metric label and log word. */
  public String label() {
    return label;
  }

  /**
   * What {@code prefix} (the first {@code length} bytes a client sent) says, or null when it is
   * still a prefix of a pattern and more bytes are needed to tell.
   */
  public static Protocol detect(byte[] prefix, int length) {
    boolean undecided = false;
    switch (compare(prefix, length, HTTP2_PREFACE)) {
      case MATCH -> {
        return HTTP2;
      }
      case PREFIX -> undecided = true;
      default -> {
      }
    }
    for (byte[] method : HTTP1_METHODS) {
      switch (compare(prefix, length, method)) {
        case MATCH -> {
          return HTTP1;
        }
        case PREFIX -> undecided = true;
        default -> {
        }
      }
    }
    return undecided && length < MAX_PEEK ? null : TCP;
  }

  private enum Fit { MATCH, PREFIX, NO }

  private static Fit compare(byte[] prefix, int length, byte[] pattern) {
    int n = Math.min(length, pattern.length);
    for (int i = 0; i < n; i++) {
      if (prefix[i] != pattern[i]) {
        return Fit.NO;
      }
    }
    return length >= pattern.length ? Fit.MATCH : Fit.PREFIX;
  }
}
