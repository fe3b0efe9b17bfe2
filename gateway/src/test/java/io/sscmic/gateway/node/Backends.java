package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.tunnel.TcpHalfClose;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Real TCP backends on loopback for tests. */
final class Backends {
  private Backends() {
  }

  /**
   * Echoes every byte back; honours half-close by echoing until EOF, then closing once the last
   * echoed byte is written. (A plain Vert.x {@code pipeTo} echo is not enough: without half-closure
   * Netty closes the socket on the client's FIN and drops the echo still queued in its outbound
   * buffer, which a 50 MiB round trip under back-pressure hit now and then.)
   */
  static NetServer echo(Vertx vertx) throws Exception {
    NetServer server = vertx.createNetServer();
    server.connectHandler(s -> {
      TcpHalfClose.enable(s);
      Future<?>[] last = {Future.succeededFuture()};
      s.handler(b -> {
        if (b.length() == 0) {
          last[0].onComplete(ar -> s.close());
          return;
        }
        last[0] = s.write(b);
        if (s.writeQueueFull()) {
          s.pause();
          s.drainHandler(v -> s.resume());
        }
      });
    });
    TestMesh.await(server.listen(0, "127.0.0.1"));
    return server;
  }

  static SocketAddress address(NetServer server) {
    return SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
  }

  /** Records what each connection receives; never writes. */
  static final class Recorder {
    final NetServer server;
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    final List<Buffer> received = new CopyOnWriteArrayList<>();
    final List<NetSocket> sockets = new CopyOnWriteArrayList<>();

    Recorder(Vertx vertx, boolean paused) throws Exception {
      server = vertx.createNetServer();
      server.connectHandler(s -> {
        connections.incrementAndGet();
        sockets.add(s);
        if (paused) {
          s.pause();
        }
        s.handler(b -> {
          bytes.addAndGet(b.length());
          received.add(b);
        });
      });
      TestMesh.await(server.listen(0, "127.0.0.1"));
    }

    SocketAddress address() {
      return Backends.address(server);
    }
  }
}
