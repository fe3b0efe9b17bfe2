package io.sscmic.gateway.http;

import io.sscmic.gateway.http.upstream.OriginResponse;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/** A response of the pooled Vert.x client through a peer's loopback tunnel entry, as an {@link OriginResponse}. */
record ClientOrigin(HttpClientResponse response) implements OriginResponse {
  @Override
  public int statusCode() {
    return response.statusCode();
  }

  @Override
  public String statusMessage() {
    return response.statusMessage();
  }

  @Override
  public MultiMap headers() {
    return response.headers();
  }

  @Override
  public MultiMap trailers() {
    return response.trailers();
  }

  @Override
  public OriginResponse handler(Handler<Buffer> handler) {
    response.handler(handler);
    return this;
  }

  @Override
  public OriginResponse endHandler(Handler<Void> handler) {
    response.endHandler(handler);
    return this;
  }

  @Override
  public OriginResponse exceptionHandler(Handler<Throwable> handler) {
    response.exceptionHandler(handler);
    return this;
  }

  @Override
  public OriginResponse pause() {
    response.pause();
    return this;
  }

  @Override
  public OriginResponse resume() {
    response.resume();
    return this;
  }

  @Override
  public void reset() {
    response.request().reset();
  }
}
