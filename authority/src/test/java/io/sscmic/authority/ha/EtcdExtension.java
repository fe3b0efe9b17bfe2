package io.sscmic.authority.ha;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd ({@link EtcdServer}) for a whole test class, its data in a temporary directory
 * removed afterwards: {@code @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();}
 * then {@code etcd.endpoint()}. Tests of one class share it, each under its own key prefix. Skipped
 * without the binary (failed under CI), as {@link EtcdServer} is.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback {
  private Path dir;
  private EtcdServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("etcd-" + context.getRequiredTestClass().getSimpleName() + "-");
    server = EtcdServer.start(dir);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      server = null;
      if (dir != null) {
        try (Stream<Path> all = Files.walk(dir)) {
          all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  /** The client URL of the class's etcd. */
  public String endpoint() {
    if (server == null) {
      throw new IllegalStateException("etcd is started before the test class's tests, not in a static initializer");
    }
    return server.endpoint();
  }
}
