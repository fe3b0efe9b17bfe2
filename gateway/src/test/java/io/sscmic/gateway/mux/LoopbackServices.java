package io.sscmic.gateway.mux;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** Local TCP services on 127.0.0.1, port 0, for the multiplexer's loopback tests. */
final class LoopbackServices implements AutoCloseable {
  private final EventLoopGroup group;
  private final List<Channel> servers = new ArrayList<>();

  LoopbackServices(EventLoopGroup group) {
    this.group = group;
  }

  /** A running service: its address and how many connections it accepted. */
  record Service(InetSocketAddress address, AtomicInteger accepted, AtomicLong bytes) {
  }

  Service echo() throws InterruptedException {
    AtomicLong bytes = new AtomicLong();
    return start(() -> new Echo(bytes), bytes);
  }

  /** Reads and drops everything; answers the client's FIN with its own. */
  Service discard() throws InterruptedException {
    AtomicLong bytes = new AtomicLong();
    return start(() -> new Discard(bytes), bytes);
  }

  /** Writes 16 KiB chunks for as long as the connection is writable, forever; counts bytes written. */
  Service firehose() throws InterruptedException {
    AtomicLong bytes = new AtomicLong();
    return start(() -> new Firehose(bytes), bytes);
  }

  /** Resets the connection (RST) on the first bytes it reads. */
  Service resetter() throws InterruptedException {
    AtomicLong bytes = new AtomicLong();
    return start(Resetter::new, bytes);
  }

  private Service start(Supplier<ChannelInboundHandlerAdapter> handler, AtomicLong bytes)
      throws InterruptedException {
    AtomicInteger accepted = new AtomicInteger();
    Channel server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            accepted.incrementAndGet();
            ch.pipeline().addLast(handler.get());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    servers.add(server);
    return new Service((InetSocketAddress) server.localAddress(), accepted, bytes);
  }

  @Override
  public void close() throws InterruptedException {
    for (Channel s : servers) {
      s.close().sync();
    }
  }

  private static void finOnEof(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
        if (ctx.channel().isActive()) {
          ((DuplexChannel) ctx.channel()).shutdownOutput().addListener(s -> ctx.close());
        }
      });
    }
  }

  private static final class Echo extends ChannelInboundHandlerAdapter {
    private final AtomicLong bytes;

    Echo(AtomicLong bytes) {
      this.bytes = bytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      bytes.addAndGet(((ByteBuf) msg).readableBytes());
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      finOnEof(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final class Discard extends ChannelInboundHandlerAdapter {
    private final AtomicLong bytes;

    Discard(AtomicLong bytes) {
      this.bytes = bytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      bytes.addAndGet(((ByteBuf) msg).readableBytes());
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      finOnEof(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final class Firehose extends ChannelInboundHandlerAdapter {
    private static final byte[] CHUNK = new byte[16 * 1024];
    private final AtomicLong bytes;

    Firehose(AtomicLong bytes) {
      this.bytes = bytes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      pump(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump(ctx);
    }

    private void pump(ChannelHandlerContext ctx) {
      while (ctx.channel().isActive() && ctx.channel().isWritable()) {
        ctx.write(Unpooled.wrappedBuffer(CHUNK)).addListener(f -> {
          if (f.isSuccess()) {
            bytes.addAndGet(CHUNK.length);
          }
        });
      }
      ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final class Resetter extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
    }
  }
}
