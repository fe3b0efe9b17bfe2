package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiving node's side of stream opens, shared by all its peer connections: the policy, the
 * local services, how to dial them, the meters, and the bound on opens waiting for their dial.
 */
public final class StreamAcceptor {
  private final StreamPolicy policy;
  private final ServiceDirectory services;
  private final ChannelFactory<? extends Channel> localChannels;
  private final MuxMetrics metrics;
  private final int maxPendingOpens;
  private final Duration dialTimeout;
  private final AtomicInteger pendingOpens = new AtomicInteger();
  private final LocalH2cConnections h2c = new LocalH2cConnections();
  private final LocalHttp1Connections http1 = new LocalHttp1Connections();
  private volatile boolean shuttingDown;
  private final ChannelHandler streamInitializer = new Initializer();

  public StreamAcceptor(StreamPolicy policy, ServiceDirectory services,
      ChannelFactory<? extends Channel> localChannels, MuxMetrics metrics, MuxSettings settings) {
    this.policy = policy;
    this.services = services;
    this.localChannels = localChannels;
    this.metrics = metrics;
    this.maxPendingOpens = settings.maxPendingOpens();
    this.dialTimeout = settings.connectTimeout();
  }

  StreamPolicy policy() {
    return policy;
  }

  ServiceDirectory services() {
    return services;
  }

  ChannelFactory<? extends Channel> localChannels() {
    return localChannels;
  }

  MuxMetrics metrics() {
    return metrics;
  }

  /** The shared HTTP/2 connections to h2c services (request streams). */
  LocalH2cConnections h2c() {
    return h2c;
  }

  /** The idle keep-alive connections to HTTP/1.1 services (request streams). */
  LocalHttp1Connections http1() {
    return http1;
  }

  Duration dialTimeout() {
    return dialTimeout;
  }

  /** Takes a pending-open slot, or false when the node is at its bound (the open gets 503). */
  boolean tryReserveOpen() {
    if (shuttingDown) {
      return false;
    }
    if (pendingOpens.incrementAndGet() > maxPendingOpens) {
      pendingOpens.decrementAndGet();
      return false;
    }
    return true;
  }

  void releaseOpen() {
    pendingOpens.decrementAndGet();
  }

  /** From now on every open is refused with 503 (the node is draining). */
  public void shutDown() {
    shuttingDown = true;
    h2c.close();
    http1.close();
  }

  /** The handler for each inbound stream's child channel (shared). */
  ChannelHandler streamInitializer() {
    return streamInitializer;
  }

  @ChannelHandler.Sharable
  private final class Initializer extends ChannelInitializer<Http2StreamChannel> {
    @Override
    protected void initChannel(Http2StreamChannel ch) {
      ch.config().setAutoRead(false);
      ch.pipeline().addLast("sscmic-connect", new ConnectStreamHandler(StreamAcceptor.this));
    }
  }
}
