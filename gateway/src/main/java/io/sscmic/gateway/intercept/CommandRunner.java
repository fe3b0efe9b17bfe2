package io.sscmic.gateway.intercept;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs one system command (nft, ip) and says how it ended; blocking, so never on an event loop. */
@FunctionalInterface
public interface CommandRunner {
  /** How a command ended. */
  record Result(int exit, String out, String err) {
    public boolean ok() {
      return exit == 0;
    }
  }

  /** @param stdin written to the command's standard input, or null for none */
  Result run(List<String> argv, String stdin);

  /** The real one: a child process, bounded to 10 s; a missing tool is exit 127 with the reason. */
  static CommandRunner system() {
    return (argv, stdin) -> {
      List<String> cmd = new ArrayList<>(argv);
      cmd.set(0, resolve(cmd.get(0)));
      try {
        Process p = new ProcessBuilder(cmd).start();
        try (OutputStream in = p.getOutputStream()) {
          if (stdin != null) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
          }
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return new Result(124, "", String.join(" ", argv) + ": no answer within 10 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        return new Result(127, "", "cannot run " + argv.get(0) + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Result(130, "", "interrupted");
      }
    };
  }

  /** /usr/sbin is not on every PATH (a non-root shell, a unit's environment): look there too. */
  private static String resolve(String tool) {
    for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return tool;
  }
}
