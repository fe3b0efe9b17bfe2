package io.sscmic.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Vert.x as a node process runs it (process.Runtimes): the native epoll transport where the
 * platform has it, so the socket semantics the data plane relies on (half-close, lingering close,
 * abortive close) are tested on the transport that production uses. As a JUnit extension it gives
 * each test its own instance and closes it after the test, so test classes hold no set-up code:
 * <pre>
 *   {@literal @}RegisterExtension final TestVertx vertx = new TestVertx();
 *   ... vertx.get() ...
 * </pre>
 */
public final class TestVertx implements BeforeEachCallback, AfterEachCallback {
  private Vertx vertx;

  public static Vertx create() {
    return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  /** This test's Vert.x. */
  public Vertx get() {
    if (vertx == null) {
      throw new IllegalStateException("TestVertx is used outside a test (register it with @RegisterExtension)");
    }
    return vertx;
  }

  /** Closes this test's Vert.x (everything deployed on it stops) and starts a fresh one: a restart. */
  public Vertx restart() throws Exception {
    close();
    vertx = create();
    return vertx;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    vertx = create();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    close();
  }

  private void close() throws Exception {
    if (vertx != null) {
      Vertx v = vertx;
      vertx = null;
      v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
