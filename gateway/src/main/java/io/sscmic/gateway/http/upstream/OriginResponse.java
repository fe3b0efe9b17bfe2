package io.sscmic.gateway.http.upstream;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A peer's answer to a forwarded request, as the HTTP listener relays it: the head, then a body
 * read with back-pressure ({@link #pause}/{@link #resume}) and the trailers once it ended. Two
 * origins give one: the pooled Vert.x client through the loopback tunnel entry (tunnel v1, or a
 * peer without a node id), and a request stream on the node's v2 peer pool ({@link RequestStream}).
 * Callbacks run on the context of the client's request.
 */
public interface OriginResponse {
  int statusCode();

  String statusMessage();

  MultiMap headers();

  /** Valid once the end handler ran. */
  MultiMap trailers();

  OriginResponse handler(Handler<Buffer> handler);

  OriginResponse endHandler(Handler<Void> handler);

  OriginResponse exceptionHandler(Handler<Throwable> handler);

  OriginResponse pause();

  OriginResponse resume();

  /** Abandons the exchange: the peer learns it (RST_STREAM CANCEL), the stream is freed. */
  void reset();
}
