package io.sscmic.keysyn.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a node finds its one-time enrollment token: a file, an environment variable or memory. */
public interface TokenSource {
  /** The token, or null when there is none. May touch the file system: call on a worker. */
  String read() throws IOException;

  String describe();

  static TokenSource file(Path path) {
    return new TokenSource() {
      @Override
      public String read() throws IOException {
        return Files.exists(path) ? blankToNull(Files.readString(path)) : null;
      }

      @Override
      public String describe() {
        return "file " + path;
      }
    };
  }

  static TokenSource env(String variable) {
    return new TokenSource() {
      @Override
      public String read() {
        return blankToNull(System.getenv(variable));
      }

      @Override
      public String describe() {
        return "environment variable " + variable;
      }
    };
  }

  /** No token: the node must already be enrolled. */
  static TokenSource none() {
    return memory(null);
  }

  static TokenSource memory(String token) {
    return new TokenSource() {
      @Override
      public String read() {
        return token;
      }

      @Override
      public String describe() {
        return token == null ? "(none configured)" : "memory";
      }
    };
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
