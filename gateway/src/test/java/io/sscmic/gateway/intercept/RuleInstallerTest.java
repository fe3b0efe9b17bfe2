package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The installer against a fake nft and ip that keep state as the kernel would (is our table
 * there, how many copies of our rule): idempotent install, remove of ours only, and failures
 * that carry nft's own words.
 */
class RuleInstallerTest {
  /** A fake nft + ip: our table, our rule copies, the local route; records every command. */
  static final class FakeKernel implements CommandRunner {
    boolean table;
    int rules;
    boolean route;
    String refuseNft;
    final List<String> commands = new ArrayList<>();
    /** What each {@code nft -f -} was given, in order. */
    final List<String> scripts = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public Result run(List<String> argv, String stdin) {
      String cmd = String.join(" ", argv);
      commands.add(cmd);
      if (cmd.equals("nft -f -")) {
        scripts.add(stdin);
        if (refuseNft != null) {
          return new Result(1, "", refuseNft);
        }
        table = !stdin.strip().endsWith("delete table inet sscmic");
        return new Result(0, "", "");
      }
      if (cmd.equals("nft list table inet sscmic")) {
        return table ? new Result(0, "table inet sscmic {\n}\n", "") : new Result(1, "", "No such file or directory");
      }
      if (cmd.startsWith("ip -4 rule show fwmark 0x5353 lookup 153")) {
        return new Result(0, "32765:\tfrom all fwmark 0x5353 lookup 153\n".repeat(rules), "");
      }
      if (cmd.startsWith("ip -4 rule add fwmark 0x5353 lookup 153")) {
        rules++;
        return new Result(0, "", "");
      }
      if (cmd.startsWith("ip -4 rule del fwmark 0x5353 lookup 153")) {
        rules--;
        return new Result(0, "", "");
      }
      if (cmd.startsWith("ip -4 route replace local 0.0.0.0/0 dev lo table 153")) {
        route = true;
        return new Result(0, "", "");
      }
      if (cmd.equals("ip -4 route flush table 153")) {
        boolean had = route;
        route = false;
        return new Result(had ? 0 : 2, "", had ? "" : "Error: ENOENT");
      }
      if (cmd.equals("ip -4 route show table 153")) {
        return new Result(0, route ? "local default dev lo scope host\n" : "", "");
      }
      return new Result(127, "", "unexpected command " + cmd);
    }
  }

  private final FakeKernel kernel = new FakeKernel();
  private final List<String> said = new ArrayList<>();
  private final RuleInstaller installer = new RuleInstaller(kernel, said::add, host -> List.of());

  @Test
  void installingTwiceLeavesOneSetAndSaysWhatItDid() {
    installer.install(InterceptRulesTest.config(null));
    installer.install(InterceptRulesTest.config(null));
    assertTrue(kernel.table);
    assertEquals(1, kernel.rules, "the rule is added once, not once per install");
    assertTrue(kernel.route);
    assertTrue(said.stream().anyMatch(s -> s.startsWith("created nftables table inet sscmic: 2 destination(s) "
        + "captured to 127.0.0.1:15001 with mark 0x5353")), said.toString());
    assertTrue(said.contains("added ip rule fwmark 0x5353 lookup 153"), said.toString());
    assertTrue(said.stream().anyMatch(s -> s.startsWith("replaced nftables table inet sscmic")), said.toString());
    assertTrue(said.contains("ip rule fwmark 0x5353 lookup 153 already present"), said.toString());
    assertTrue(installer.installed(0x5353, 153));
  }

  @Test
  void aPeerGivenByNameWithoutAnExcludedUidIsSaid() {
    installer.install(InterceptRulesTest.config(null));
    assertTrue(said.contains("the sidecar's own destination authority.internal:8443 is a name: excluded from capture "
        + "at no address (it does not resolve now) only; set intercept.exclude-uid to exclude the sidecar's "
        + "connections whatever their address"), said.toString());
    said.clear();
    installer.install(InterceptRulesTest.config(1337));
    assertTrue(said.stream().noneMatch(s -> s.contains("is a name")), "with the uid excluded there is nothing to say");
  }

  @Test
  void removeDeletesOursOnlyAndEveryCopyOfOurRule() {
    kernel.table = true;
    kernel.rules = 2; // two crashed runs of an older version each added one
    kernel.route = true;
    installer.remove(0x5353, 153);
    assertEquals(false, kernel.table);
    assertEquals(0, kernel.rules);
    assertEquals(false, kernel.route);
    assertTrue(said.contains("deleted ip rule fwmark 0x5353 lookup 153 (2 copies)"), said.toString());
    assertTrue(kernel.commands.stream().noneMatch(c -> c.contains("flush ruleset") || c.startsWith("ip rule flush")
        || c.startsWith("ip -4 rule flush")), "nothing beyond our own table, rule and routing table is touched");
  }

  @Test
  void removingWhatIsNotThereSaysSoAndSucceeds() {
    installer.remove(0x5353, 153);
    assertEquals(List.of("nftables table inet sscmic not present", "no ip rule fwmark 0x5353 lookup 153",
        "routing table 153 already empty"), said);
  }

  @Test
  void aRefusedScriptFailsWithNftsOwnWords() {
    kernel.refuseNft = "Error: Could not process rule: No such file or directory (nft_tproxy not loaded)";
    RuleInstaller.RuleException e = assertThrows(RuleInstaller.RuleException.class,
        () -> installer.install(InterceptRulesTest.config(null)));
    assertTrue(e.getMessage().contains("nft -f - failed (exit 1): Error: Could not process rule"), e.getMessage());
    assertEquals(0, kernel.rules, "no routing rule without the table it serves");
  }

  @Test
  void inboundCaptureAloneNeedsNoPolicyRouting() {
    installer.install(InterceptRulesTest.inboundOnly());
    assertTrue(kernel.table);
    assertEquals(0, kernel.rules);
    assertEquals(false, kernel.route);
    assertTrue(said.get(0).endsWith("plaintext from outside refused on local port(s) [5432, 6379]"), said.toString());
    assertTrue(said.contains("no outbound capture: no policy routing needed"), said.toString());
  }

  @Test
  void theRefusalCounterIsReadFromNft() {
    RuleInstaller reader = new RuleInstaller((argv, stdin) -> String.join(" ", argv)
        .equals("nft list counter inet sscmic plaintext_refused")
        ? new CommandRunner.Result(0, "table inet sscmic {\n\tcounter plaintext_refused {\n\t\tpackets 7 bytes 420\n"
        + "\t}\n}\n", "") : new CommandRunner.Result(1, "", ""), said::add);
    assertEquals(7, reader.plaintextRefused());
    assertEquals(-1, installer.plaintextRefused(), "no table: unknown, not zero");
  }

  @Test
  void statusListsTheTableTheRuleAndTheRoute() {
    installer.install(InterceptRulesTest.config(null));
    String s = installer.status(0x5353, 153);
    assertTrue(s.contains("table inet sscmic {"), s);
    assertTrue(s.contains("ip rule fwmark 0x5353 lookup 153: present"), s);
    assertTrue(s.contains("routing table 153: local default dev lo scope host"), s);
  }
}
