package io.sscmic.gateway.mux;

import java.time.Duration;

/**
 * The multiplexer's tunables. The defaults are the ones docs/MUX-v2.md argues for.
 *
 * @param streamWindow per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE): the most a peer
 *     may send on one stream that this node has not yet passed on; bounds the memory one slow
 *     reader can pin
 * @param connectionWindow connection-level receive window; several stalled streams together may
 *     hold up to this much before the whole connection stalls, so it is a multiple of the stream window
 * @param maxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS this node advertises
 * @param connectTimeout TCP connect plus secure-layer handshake, for a new peer connection
 * @param pingInterval HTTP/2 PING period on a pooled connection; a PING unanswered for two
 *     periods closes the connection
 * @param idleTimeout a pooled connection with no stream for this long is closed
 * @param connectionsPerPeer the most connections the pool keeps to one peer endpoint
 * @param drainTimeout after GOAWAY, how long open streams may finish before the connection closes
 * @param maxPendingOpens server side: stream opens waiting for their local dial, per node; one
 *     more is refused with 503
 */
public record MuxSettings(
    int streamWindow,
    int connectionWindow,
    int maxConcurrentStreams,
    Duration connectTimeout,
    Duration pingInterval,
    Duration idleTimeout,
    int connectionsPerPeer,
    Duration drainTimeout,
    int maxPendingOpens) {

  /** HTTP/2's default and minimum sensible window (RFC 9113 6.9.2). */
  static final int DEFAULT_HTTP2_WINDOW = 65_535;

  public MuxSettings {
    if (streamWindow < 16_384 || streamWindow > 16 << 20) {
      throw new IllegalArgumentException("streamWindow out of range 16 KiB..16 MiB: " + streamWindow);
    }
    if (connectionWindow < streamWindow) {
      throw new IllegalArgumentException("connectionWindow below streamWindow: " + connectionWindow);
    }
    if (maxConcurrentStreams < 1 || connectionsPerPeer < 1 || maxPendingOpens < 1) {
      throw new IllegalArgumentException("stream, connection and pending limits must be positive");
    }
  }

  public static MuxSettings defaults() {
    return new MuxSettings(
        256 * 1024,
        32 << 20,
        8_192,
        Duration.ofSeconds(5),
        Duration.ofSeconds(15),
        Duration.ofMinutes(2),
        2,
        Duration.ofSeconds(30),
        1_024);
  }

  public MuxSettings withStreamWindow(int window, int connection) {
    return new MuxSettings(window, connection, maxConcurrentStreams, connectTimeout, pingInterval,
        idleTimeout, connectionsPerPeer, drainTimeout, maxPendingOpens);
  }

  public MuxSettings withMaxConcurrentStreams(int max) {
    return new MuxSettings(streamWindow, connectionWindow, max, connectTimeout, pingInterval,
        idleTimeout, connectionsPerPeer, drainTimeout, maxPendingOpens);
  }

  public MuxSettings withPool(int perPeer, Duration idle, Duration ping) {
    return new MuxSettings(streamWindow, connectionWindow, maxConcurrentStreams, connectTimeout, ping,
        idle, perPeer, drainTimeout, maxPendingOpens);
  }

  public MuxSettings withConnectTimeout(Duration timeout) {
    return new MuxSettings(streamWindow, connectionWindow, maxConcurrentStreams, timeout, pingInterval,
        idleTimeout, connectionsPerPeer, drainTimeout, maxPendingOpens);
  }

  public MuxSettings withDrainTimeout(Duration drain) {
    return new MuxSettings(streamWindow, connectionWindow, maxConcurrentStreams, connectTimeout, pingInterval,
        idleTimeout, connectionsPerPeer, drain, maxPendingOpens);
  }

  public MuxSettings withMaxPendingOpens(int max) {
    return new MuxSettings(streamWindow, connectionWindow, maxConcurrentStreams, connectTimeout,
        pingInterval, idleTimeout, connectionsPerPeer, drainTimeout, max);
  }
}
