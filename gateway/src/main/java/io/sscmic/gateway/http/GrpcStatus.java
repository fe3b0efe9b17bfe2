package io.sscmic.gateway.http;

import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * gRPC as the listener needs it without a gRPC library: telling a gRPC request apart, reading its
 * deadline ({@code grpc-timeout}), and the status codes and message encoding of the sidecar's own
 * answers, which a gRPC client must get as {@code grpc-status}, not as an HTTP error it would
 * report as a protocol failure (see the gRPC HTTP/2 protocol spec).
 */
final class GrpcStatus {
  static final int INTERNAL = 13;
  static final int UNIMPLEMENTED = 12;
  static final int UNAVAILABLE = 14;
  static final int DEADLINE_EXCEEDED = 4;
  static final int CANCELLED = 1;

  private GrpcStatus() {
  }

  /** gRPC proper ({@code application/grpc}, {@code application/grpc+proto}...), not gRPC-Web (its trailers ride in the body). */
  static boolean isGrpc(HttpServerRequest req) {
    String type = req.getHeader("content-type");
    if (type == null) {
      return false;
    }
    String t = type.toLowerCase(Locale.ROOT);
    return t.startsWith("application/grpc") && !t.startsWith("application/grpc-web");
  }

  /** The status a gRPC client gets for a failure the sidecar answers itself. */
  static int of(ProxyFailure.Kind kind) {
    return switch (kind) {
      case BAD_REQUEST -> INTERNAL;
      case NO_ROUTE -> UNIMPLEMENTED;
      case NO_PEER, UPSTREAM -> UNAVAILABLE;
      case TIMEOUT -> DEADLINE_EXCEEDED;
      case CLIENT_GONE -> CANCELLED;
    };
  }

  /**
   * The gRPC deadline, {@code grpc-timeout: 1-8 digits and a unit} (H M S m u n).
   *
   * @return null when absent or malformed (the spec has a malformed one ignored rather than refused)
   */
  static Duration timeout(String header) {
    if (header == null || header.length() < 2 || header.length() > 9) {
      return null;
    }
    long value = 0;
    for (int i = 0; i < header.length() - 1; i++) {
      char c = header.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      value = value * 10 + (c - '0');
    }
    return switch (header.charAt(header.length() - 1)) {
      case 'H' -> Duration.ofHours(value);
      case 'M' -> Duration.ofMinutes(value);
      case 'S' -> Duration.ofSeconds(value);
      case 'm' -> Duration.ofMillis(value);
      case 'u' -> Duration.ofNanos(value * 1000);
      case 'n' -> Duration.ofNanos(value);
      default -> null;
    };
  }

  /** {@code grpc-message}: UTF-8, percent-encoded outside printable ASCII and for '%' itself. */
  static String encodeMessage(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
