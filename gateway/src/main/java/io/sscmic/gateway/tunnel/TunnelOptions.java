package io.sscmic.gateway.tunnel;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import java.time.Duration;
import java.util.Objects;

/** Settings shared by the inbound tunnel listener and the outbound listeners of one sidecar. */
public final class TunnelOptions {
  private final String nodeId;
  private final CipherSuite cipher;
  private final AeadProvider provider;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;

  public TunnelOptions(String nodeId, CipherSuite cipher, AeadProvider provider, Duration connectTimeout,
                       Duration handshakeTimeout) {
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

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }
}
