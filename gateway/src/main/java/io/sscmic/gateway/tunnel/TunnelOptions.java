package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import java.time.Duration;
import java.util.Objects;

/** Settings shared by the inbound tunnel listener and the outbound listeners of one sidecar. */
public final class TunnelOptions {
  /** As Envoy's TCP proxy: an hour. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
  private final String nodeId;
  private final CipherSuite cipher;
  private final AeadProvider provider;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;
  private final Duration idleTimeout;
  private final int eventLoops;

  public TunnelOptions(String nodeId, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                       Duration handshakeTimeout) {
    this(nodeId, cipher, provider, connectTimeout, handshakeTimeout, DEFAULT_IDLE_TIMEOUT);
  }

  /** @param idleTimeout close a stream on which nothing moved for this long; zero: never */
  public TunnelOptions(String nodeId, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                       Duration handshakeTimeout, Duration idleTimeout) {
    this(nodeId, cipher, provider, connectTimeout, handshakeTimeout, idleTimeout, 1);
  }

  /**
   * @param eventLoops how many event loops each listener accepts on (a server per loop on one
   *     port; a connection and its onward connection stay on the loop that accepted it)
   */
  public TunnelOptions(String nodeId, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                       Duration handshakeTimeout, Duration idleTimeout, int eventLoops) {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be at least 1, got " + eventLoops);
    }
    this.eventLoops = eventLoops;
    this.idleTimeout = Objects.requireNonNull(idleTimeout);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.cipher = Objects.requireNonNull(cipher);
    this.provider = Objects.requireNonNull(provider);
    this.connectTimeout = Objects.requireNonNull(connectTimeout);
    this.handshakeTimeout = Objects.requireNonNull(handshakeTimeout);
  }

  public String nodeId() {
    return nodeId;
  }

  public CipherSuite cipher() {
    return cipher;
  }

  public AeadProvider provider() {
    return provider;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /** Event loops each listener accepts on (1: the listener's own context only). */
  public int eventLoops() {
    return eventLoops;
  }

  public TunnelOptions withEventLoops(int n) {
    return new TunnelOptions(nodeId, cipher, provider, connectTimeout, handshakeTimeout, idleTimeout, n);
  }
}
