package io.sscmic.gateway.http;

import io.vertx.core.net.NetSocket;

/** Two sockets joined both ways with back-pressure; either side's end closes the other. */
final class Splice {
  private Splice() {
  }

  static void join(NetSocket client, NetSocket peer) {
    client.pipeTo(peer);
    peer.pipeTo(client);
  }
}
