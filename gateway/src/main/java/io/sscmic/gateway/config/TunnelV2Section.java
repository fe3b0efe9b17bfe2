package io.sscmic.gateway.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The tunnel v2 part of the {@code tunnel} section: which version this node dials, who may open
 * streams to its services, where its certificate comes from, and the peer pool's size.
 *
 * @param version what this node dials; inbound always accepts both during the migration
 * @param policyFile the stream policy (docs/MUX-v2.md, "Authorization"), or null: every member
 *     reaches every service
 * @param identityDir where {@code node.crt}, {@code node.key} and {@code ca.crt} are, for a node
 *     without an authority section; null: the authority's state directory and CA file
 * @param poolSize the most connections the pool keeps to one peer; streams spread over them (and so
 *     over event loops) as soon as every open one carries a stream
 * @param poolIdleTimeout a pooled connection without a stream for this long is closed
 * @param maxConcurrentStreams streams one peer connection takes at once (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param streamWindow bytes one stream may have in flight (SETTINGS_INITIAL_WINDOW_SIZE)
 */
public record TunnelV2Section(TunnelVersion version, Path policyFile, Path identityDir, int poolSize,
                              Duration poolIdleTimeout, int maxConcurrentStreams, int streamWindow) {
  /** What a config without v2 keys means: dial v1, the defaults of the table for the rest. */
  public static TunnelV2Section defaults() {
    return new TunnelV2Section(NodeKeys.TUNNEL_VERSION.defaultValue(), null, null,
        NodeKeys.TUNNEL_POOL_SIZE.defaultValue(), NodeKeys.TUNNEL_POOL_IDLE_TIMEOUT.defaultValue(),
        NodeKeys.TUNNEL_MAX_CONCURRENT_STREAMS.defaultValue(), NodeKeys.TUNNEL_STREAM_WINDOW.defaultValue());
  }

  public TunnelV2Section withVersion(TunnelVersion v) {
    return new TunnelV2Section(v, policyFile, identityDir, poolSize, poolIdleTimeout, maxConcurrentStreams, streamWindow);
  }

  public TunnelV2Section withPolicyFile(Path p) {
    return new TunnelV2Section(version, p, identityDir, poolSize, poolIdleTimeout, maxConcurrentStreams, streamWindow);
  }

  public TunnelV2Section withIdentityDir(Path d) {
    return new TunnelV2Section(version, policyFile, d, poolSize, poolIdleTimeout, maxConcurrentStreams, streamWindow);
  }

  public TunnelV2Section withStreamWindow(int bytes) {
    return new TunnelV2Section(version, policyFile, identityDir, poolSize, poolIdleTimeout, maxConcurrentStreams, bytes);
  }

  public TunnelV2Section withPoolSize(int n) {
    return new TunnelV2Section(version, policyFile, identityDir, n, poolIdleTimeout, maxConcurrentStreams, streamWindow);
  }
}
