package io.sscmic.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
  }

  @Test
  void helpListsEveryCommand() {
    assertEquals(0, run("--help"));
    String help = out.toString();
    for (String cmd : new String[] {"demo", "node --config FILE", "seed --out FILE", "--version"}) {
      assertTrue(help.contains(cmd), "help mentions " + cmd);
    }
  }

  @Test
  void everyCommandHasItsOwnHelpNamingItsOptions() {
    String[][] expected = {
        {"demo", "--interval"}, {"node", "--config", "--log-json"}, {"init", "--dir", "--genesis", "--admin"},
        {"authority", "--config"}, {"token", "--node", "--ttl"}, {"reseed", "--in"}, {"seed", "--out"},
        {"authority-cert", "rotate", "--validity", "--host"}, {"ca", "rotate", "--stage", "--switch", "--retire"},
        {"admin-password", "admin.password-hash", "stdin"}};
    for (String[] e : expected) {
      out.reset();
      assertEquals(0, run(e[0], "--help"), e[0]);
      String help = out.toString();
      assertTrue(help.startsWith("Usage: sscmic " + e[0]), e[0] + ": " + help);
      for (int i = 1; i < e.length; i++) {
        assertTrue(help.contains(e[i]), e[0] + " --help names " + e[i]);
      }
      out.reset();
      assertEquals(0, run("help", e[0]), "help " + e[0]);
      assertTrue(out.toString().startsWith("Usage: sscmic " + e[0]));
    }
    assertEquals(Main.COMMAND_HELP.keySet().size(), expected.length, "a test line for every command");
  }

  @Test
  void adminPasswordPrintsAHashThatMatchesThePasswordReadFromStdin() throws Exception {
    String pw = "a dashboard password";
    assertEquals(0, Main.adminPassword(null, new java.io.BufferedReader(new java.io.StringReader(pw + "\n")),
        new PrintStream(out, true), new PrintStream(err, true)));
    String printed = out.toString();
    assertTrue(!printed.contains(pw), "the password itself is not echoed");
    String hash = printed.substring(printed.indexOf('"') + 1, printed.lastIndexOf('"'));
    assertTrue(io.sscmic.admin.ui.PasswordHash.parse(hash).matches(pw.toCharArray()));
    assertTrue(printed.startsWith("admin:"), "a YAML snippet to paste: " + printed);
  }

  @Test
  void adminPasswordRefusesAShortPassword() {
    assertEquals(1, Main.adminPassword(null, new java.io.BufferedReader(new java.io.StringReader("short\n")),
        new PrintStream(out, true), new PrintStream(err, true)));
    assertTrue(err.toString().contains("at least 12 characters"), err.toString());
  }

  @Test
  void noArgumentsPrintsUsageAndFails() {
    assertEquals(2, run());
    assertTrue(out.toString().contains("Usage:"));
  }

  @Test
  void versionPrints() {
    assertEquals(0, run("--version"));
    assertTrue(out.toString().startsWith("sscmic "));
  }

  @Test
  void anUnknownCommandIsRefused() {
    assertEquals(2, run("frobnicate"));
    assertTrue(err.toString().contains("unknown command 'frobnicate'"));
  }

  @Test
  void nodeWithoutConfigSaysWhatIsMissing() {
    assertEquals(2, run("node"));
    assertTrue(err.toString().contains("node needs --config"), err.toString());
  }

  @Test
  void nodeWithABadConfigNamesTheKeyAndExits(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, "node: {id: a}\nkeysyn: {genesis: 2026-01-01T00:00:00Z, interval: soon, seed-env: S}\n"
        + "outbound: [{listen: '127.0.0.1:0', service: x, peer: '127.0.0.1:1'}]\n");
    assertEquals(1, run("node", "--config", file.toString()));
    assertTrue(err.toString().contains("config key 'keysyn.interval'"), err.toString());
  }

  @Test
  void nodeWithAMissingSeedSaysWhere(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, "node: {id: a}\nkeysyn: {genesis: 2026-01-01T00:00:00Z, interval: 5s, seed-file: "
        + dir.resolve("missing-seed") + "}\noutbound: [{listen: '127.0.0.1:0', service: x, peer: '127.0.0.1:1'}]\n"
        // port 0: the default admin port 15000 may be a running demo's
        + "admin: {listen: '127.0.0.1:0'}\n");
    assertEquals(1, run("node", "--config", file.toString()));
    assertTrue(err.toString().contains("missing-seed"), err.toString());
  }

  @Test
  void seedWritesAPrivateFileAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
    Path seed = dir.resolve("seed");
    assertEquals(0, run("seed", "--out", seed.toString()));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(seed)));
    assertTrue(Files.readString(seed).strip().length() >= 43, "32 bytes of base64");
    assertEquals(1, run("seed", "--out", seed.toString()));
    assertTrue(err.toString().contains("refusing to overwrite"));
  }
}
