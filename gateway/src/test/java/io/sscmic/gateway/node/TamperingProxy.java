package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.frame.FrameDecoder;
import io.sscmic.gateway.frame.FrameType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An active attacker on the wire between two sidecars: relays the tunnel TCP stream, and hands
 * each client-to-server frame to a {@link Tamper} that may forward, alter, drop, duplicate or cut.
 * Server-to-client bytes pass untouched. Records every client-to-server byte it forwarded.
 */
final class TamperingProxy {
  /** Decides what happens to frame number {@code index} (0 is the HELLO). */
  interface Tamper {
    void onFrame(int index, FrameType type, byte[] frame, NetSocket upstream);
  }

  static final Tamper FORWARD = (i, t, f, up) -> up.write(Buffer.buffer(f));

  final NetServer server;
  private final NetClient client;
  final List<Buffer> recorded = new CopyOnWriteArrayList<>();

  TamperingProxy(Vertx vertx, int targetPort, Tamper tamper) throws Exception {
    client = vertx.createNetClient();
    server = vertx.createNetServer();
    server.connectHandler(down -> {
      down.pause();
      client.connect(targetPort, "127.0.0.1").onSuccess(up -> {
        int[] index = {0};
        FrameDecoder decoder = new FrameDecoder((d, type, frame) -> {
          recorded.add(Buffer.buffer(frame));
          tamper.onFrame(index[0]++, type, frame, up);
        });
        down.handler(b -> {
          try {
            decoder.feed(b);
          } catch (Exception e) {
            up.write(b);
          }
        });
        up.handler(down::write);
        down.closeHandler(v -> up.close());
        up.closeHandler(v -> down.close());
        down.resume();
      }).onFailure(e -> down.close());
    });
    TestMesh.await(server.listen(0, "127.0.0.1"));
  }

  int port() {
    return server.actualPort();
  }

  /** Every client-to-server byte seen so far, as one recording. */
  Buffer recording() {
    Buffer all = Buffer.buffer();
    recorded.forEach(all::appendBuffer);
    return all;
  }
}
