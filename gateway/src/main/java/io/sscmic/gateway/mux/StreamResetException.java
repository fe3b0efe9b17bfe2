package io.sscmic.gateway.mux;

import io.netty.handler.codec.http2.Http2Error;

/**
 * A stream ended abnormally: the peer sent RST_STREAM (or the connection below it went away). The
 * HTTP/2 error code is the reason: CONNECT_ERROR when the far TCP connection failed or was reset,
 * CANCEL when the far side gave up, REFUSED_STREAM when the peer did not process it (safe to retry).
 */
public final class StreamResetException extends Exception {
  private final Http2Error error;
  private final boolean remote;

  public StreamResetException(Http2Error error, boolean remote, String detail) {
    super((remote ? "peer reset stream: " : "stream reset: ") + error + (detail == null ? "" : " (" + detail + ")"),
        null, false, false);
    this.error = error;
    this.remote = remote;
  }

  public Http2Error error() {
    return error;
  }

  /** True when the peer sent the RST_STREAM, false when this node ended the stream. */
  public boolean remote() {
    return remote;
  }
}
