package io.sscmic.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * Vert.x as a node process runs it (cli.Runtimes): the native epoll transport where the platform
 * has it, so the socket semantics the data plane relies on (half-close, lingering close, abortive
 * close) are tested on the transport that production uses.
 */
public final class TestVertx {
  private TestVertx() {
  }

  public static Vertx create() {
    return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }
}
