package io.sscmic.gateway.resolve;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on loopback UDP, port 0, for SRV queries only: answers the
 * records set for a name, NXDOMAIN for any other. Enough of RFC 1035 for a real resolver (Vert.x's
 * DnsClient) to parse it.
 */
final class SrvDnsServer {
  /** One SRV record. */
  record Srv(int priority, int weight, int port, String target) {
  }

  final Map<String, List<Srv>> records = new ConcurrentHashMap<>();
  final AtomicInteger queries = new AtomicInteger();
  private final DatagramSocket socket;

  private SrvDnsServer(DatagramSocket socket) {
    this.socket = socket;
  }

  static SrvDnsServer start(Vertx vertx) throws Exception {
    DatagramSocket socket = vertx.createDatagramSocket();
    SrvDnsServer server = new SrvDnsServer(socket);
    socket.handler(p -> server.answer(p.sender(), p.data()));
    socket.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
    return server;
  }

  SocketAddress address() {
    return socket.localAddress();
  }

  void close() throws Exception {
    socket.close().toCompletionStage().toCompletableFuture().get();
  }

  private void answer(SocketAddress to, Buffer q) {
    queries.incrementAndGet();
    int id = q.getUnsignedShort(0);
    int pos = 12;
    StringBuilder name = new StringBuilder();
    while (q.getUnsignedByte(pos) != 0) {
      int len = q.getUnsignedByte(pos);
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(q.getString(pos + 1, pos + 1 + len, "US-ASCII"));
      pos += 1 + len;
    }
    pos += 1;
    int qtype = q.getUnsignedShort(pos);
    Buffer question = q.getBuffer(12, pos + 4);
    List<Srv> answers = qtype == 33 ? records.get(name.toString().toLowerCase()) : null;
    Buffer out = Buffer.buffer().appendUnsignedShort(id)
        .appendUnsignedShort(answers == null ? 0x8583 : 0x8580) // response, authoritative, RD; NXDOMAIN or no error
        .appendUnsignedShort(1).appendUnsignedShort(answers == null ? 0 : answers.size())
        .appendUnsignedShort(0).appendUnsignedShort(0).appendBuffer(question);
    if (answers != null) {
      for (Srv r : answers) {
        Buffer target = labels(r.target());
        out.appendUnsignedShort(0xC00C).appendUnsignedShort(33).appendUnsignedShort(1).appendInt(5)
            .appendUnsignedShort(6 + target.length()).appendUnsignedShort(r.priority())
            .appendUnsignedShort(r.weight()).appendUnsignedShort(r.port()).appendBuffer(target);
      }
    }
    socket.send(out, to.port(), to.host());
  }

  private static Buffer labels(String name) {
    Buffer b = Buffer.buffer();
    for (String label : name.split("\\.")) {
      byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
      b.appendUnsignedByte((short) bytes.length).appendBytes(bytes);
    }
    return b.appendUnsignedByte((short) 0);
  }
}
