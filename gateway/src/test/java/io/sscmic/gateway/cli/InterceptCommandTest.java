package io.sscmic.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.intercept.CommandRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sscmic intercept}: what the operator sees, with nft and ip replaced by a recorder. */
class InterceptCommandTest {
  @TempDir
  Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<String> commands = new ArrayList<>();

  private int run(CommandRunner runner, String... args) {
    return InterceptCommand.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), runner);
  }

  private Path config() throws Exception {
    return Files.writeString(dir.resolve("node.yaml"), String.join("\n",
        "node:", "  id: app-1",
        "keysyn:", "  genesis: \"2026-01-01T00:00:00Z\"", "  interval: 30s", "  seed-file: /etc/sscmic/seed",
        "intercept:", "  exclude-uid: 1337", "  outbound:",
        "    - {match: \"10.1.0.5:6379\", service: redis, peer: \"10.1.0.5:7443\"}", ""));
  }

  @Test
  void dryRunPrintsTheScriptAndRunsNothing() throws Exception {
    int rc = run((argv, stdin) -> {
      commands.add(String.join(" ", argv));
      return new CommandRunner.Result(0, "", "");
    }, "intercept", "install", "--config", config().toString(), "--dry-run");
    assertEquals(0, rc, err.toString());
    assertEquals(List.of(), commands);
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("ip daddr 10.1.0.5 tcp dport 6379 meta mark set 0x5353"), printed);
    assertTrue(printed.contains("meta skuid 1337 return"), printed);
    assertTrue(printed.contains("# then: ip -4 route replace local 0.0.0.0/0 dev lo table 153"), printed);
  }

  @Test
  void aFailingNftIsExitOneWithItsMessage() throws Exception {
    int rc = run((argv, stdin) -> argv.get(0).equals("nft") && argv.contains("-f")
        ? new CommandRunner.Result(1, "", "Error: Could not process rule: Operation not permitted")
        : new CommandRunner.Result(1, "", ""), "intercept", "install", "--config", config().toString());
    assertEquals(1, rc);
    assertTrue(err.toString().contains("Operation not permitted"), err.toString());
  }

  @Test
  void statusIsExitThreeWhenNothingIsInstalledAndUsageErrorsAreExitTwo() {
    assertEquals(3, run((argv, stdin) -> new CommandRunner.Result(1, "", ""), "intercept", "status"));
    assertTrue(out.toString().contains("not installed"), out.toString());
    assertEquals(2, Main.run(new String[] {"intercept", "install"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(err.toString().contains("intercept install needs --config"), err.toString());
    assertEquals(0, Main.run(new String[] {"intercept", "--help"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(out.toString().contains("Usage: sscmic intercept install --config FILE"));
  }
}
