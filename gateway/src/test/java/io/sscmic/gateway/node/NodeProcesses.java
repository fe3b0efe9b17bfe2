package io.sscmic.gateway.node;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/** {@code sscmic node} as a real child process of the test JVM, on the test class path. */
final class NodeProcesses {
  private NodeProcesses() {
  }

  static Process start(Path config, Path log) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
        "io.sscmic.gateway.cli.Main", "node", "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** A port free a moment ago, for a config file that must name it. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
