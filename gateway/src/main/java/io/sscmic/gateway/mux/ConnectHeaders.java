package io.sscmic.gateway.mux;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.regex.Pattern;

/**
 * The HEADERS of a stream open and of its answer. A TCP stream is a classic HTTP/2 CONNECT
 * (RFC 9113 8.5): {@code :method CONNECT}, {@code :authority} = the service name, no
 * {@code :scheme} or {@code :path}; plus {@value #CALLER} naming the calling node for the
 * receiver's logs only (the receiver takes the caller's identity from the handshake, never
 * from this header). The answer is {@code :status 200}, or a refusal status with
 * {@value RefusalReason#HEADER} and END_STREAM.
 */
public final class ConnectHeaders {
  /** Informational: the caller's node id as it names itself. Never used for authorization. */
  /**
   * On a request stream, the caller's word on what the service speaks: {@code h2c} makes the
   * receiving node relay the stream's frames on an HTTP/2 connection to the service (gRPC); absent
   * or anything else, HTTP/1.1. The caller's {@code http.services.NAME.protocol} names it. Not
   * passed on to the service.
   */
  public static final AsciiString PROTOCOL = AsciiString.cached("sscmic-protocol");
  public static final AsciiString CALLER = AsciiString.cached("sscmic-caller");
  private static final AsciiString REASON = AsciiString.cached(RefusalReason.HEADER);
  private static final AsciiString OK = AsciiString.cached("200");
  /** Service names: the config's names (letters, digits, dot, dash, underscore), at most 128. */
  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private ConnectHeaders() {
  }

  public static Http2Headers request(String service, String callerForLogs) {
    if (!isServiceName(service)) {
      throw new IllegalArgumentException("not a service name: '" + service + "'");
    }
    Http2Headers h = new DefaultHttp2Headers().method(HttpMethod.CONNECT.asciiName()).authority(service);
    if (callerForLogs != null) {
      h.set(CALLER, callerForLogs);
    }
    return h;
  }

  public static boolean isServiceName(CharSequence s) {
    return s != null && SERVICE.matcher(s).matches();
  }

  /**
   * The service a stream open names, or null if the HEADERS are not a well-formed CONNECT
   * (another method, a {@code :path} or {@code :scheme}, which would make it an ordinary request
   * or an extended CONNECT we do not speak, or an authority that is not a service name).
   */
  public static String serviceOf(Http2Headers h) {
    if (!HttpMethod.CONNECT.asciiName().contentEquals(h.method()) || h.path() != null || h.scheme() != null) {
      return null;
    }
    CharSequence authority = h.authority();
    return isServiceName(authority) ? authority.toString() : null;
  }

  public static Http2Headers accepted() {
    return new DefaultHttp2Headers().status(OK);
  }

  public static Http2Headers refused(RefusalReason reason) {
    return new DefaultHttp2Headers().status(AsciiString.of(Integer.toString(reason.status())))
        .set(REASON, reason.token());
  }

  /** True for a 2xx answer. */
  public static boolean isAccepted(Http2Headers h) {
    CharSequence status = h.status();
    return status != null && status.length() == 3 && status.charAt(0) == '2';
  }

  /** The status of an answer, or -1 if it has none or it is not a number. */
  public static int status(Http2Headers h) {
    CharSequence status = h.status();
    try {
      return status == null ? -1 : Integer.parseInt(status.toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public static CharSequence reasonToken(Http2Headers h) {
    return h.get(REASON);
  }
}
