package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;

/**
 * A stream this node opened to a service on a peer. The HEADERS are sent; the caller may write
 * its first bytes at once (no round trip), and {@link #accepted()} tells whether the peer took
 * the stream (fails with {@link StreamRefusedException} or {@link StreamResetException}).
 */
public final class MuxStream {
  private final Http2StreamChannel channel;
  private final String service;
  private final Future<Void> accepted;
  private final MuxMetrics metrics;

  MuxStream(Http2StreamChannel channel, String service, Future<Void> accepted, MuxMetrics metrics) {
    this.channel = channel;
    this.service = service;
    this.accepted = accepted;
    this.metrics = metrics;
  }

  /** The stream's child channel (auto-read off). Reading it yields DATA frames after the answer. */
  public Http2StreamChannel channel() {
    return channel;
  }

  public String service() {
    return service;
  }

  public Future<Void> accepted() {
    return accepted;
  }

  /** Relays this stream to and from a TCP channel until both ends close; see {@link StreamRelay}. */
  public StreamRelay relayTo(Channel tcp) {
    return StreamRelay.start(channel, tcp, metrics);
  }
}
