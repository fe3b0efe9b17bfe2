package io.sscmic.gateway.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * Where peer connections and local dials run: an event loop group and the channel kinds to use
 * on it. Tests use NIO; the node will pass Vert.x's own event loops and transport (epoll on Linux),
 * so that the multiplexer shares the loops of the verticles.
 */
public record MuxTransport(
    EventLoopGroup group,
    ChannelFactory<? extends Channel> socketChannels,
    ChannelFactory<? extends ServerChannel> serverChannels) {

  public static MuxTransport nio(EventLoopGroup group) {
    return new MuxTransport(group, NioSocketChannel::new, NioServerSocketChannel::new);
  }
}
