package io.sscmic.gateway.cli;

import io.sscmic.gateway.config.ConfigException;
import io.sscmic.gateway.config.ConfigLoader;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.NodeKeys;
import io.sscmic.gateway.intercept.CommandRunner;
import io.sscmic.gateway.intercept.InterceptConfig;
import io.sscmic.gateway.intercept.InterceptRules;
import io.sscmic.gateway.intercept.RuleInstaller;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * {@code sscmic intercept install|remove|status}: the capture rules of a node's {@code intercept}
 * section, applied, removed or shown by hand (a node with {@code intercept.manage-rules} does the
 * same itself). Every step is printed; running a command twice changes nothing the second time.
 */
final class InterceptCommand {
  static final String HELP = String.join(System.lineSeparator(),
      "Usage: sscmic intercept install --config FILE [--dry-run]",
      "       sscmic intercept remove [--config FILE]",
      "       sscmic intercept status [--config FILE]",
      "",
      "Transparent interception (docs/OPERATIONS.md): connections local applications open to the",
      "destinations in the node's intercept.outbound are captured with nftables TPROXY and carried by",
      "the node's transparent listener (intercept.listen). Needs root (CAP_NET_ADMIN) and nft and ip.",
      "  install    create or replace the nftables table `inet sscmic`, add `ip rule fwmark MARK lookup",
      "             TABLE` unless present and `local 0.0.0.0/0 dev lo` in TABLE; --dry-run prints the",
      "             nft script and changes nothing",
      "  remove     delete our table, our ip rule and our routing table's routes (only ours)",
      "  status     list our table (with its packet counters), the rule and the routing table",
      "  --config FILE  the node's YAML config; without it remove and status use the default mark",
      "                 (intercept.mark 0x5353) and table (intercept.route-table 153)");

  private InterceptCommand() {
  }

  static int run(List<String> a, PrintStream out, PrintStream err) {
    return run(a, out, err, CommandRunner.system());
  }

  static int run(List<String> a, PrintStream out, PrintStream err, CommandRunner runner) {
    String action = a.size() > 1 ? a.get(1) : "";
    String file = Main.option(a, "--config", null);
    RuleInstaller rules = new RuleInstaller(runner, line -> out.println("sscmic intercept: " + line));
    try {
      switch (action) {
        case "install" -> {
          if (file == null) {
            throw new Main.UsageException("intercept install needs --config (see --help)");
          }
          InterceptConfig c = load(Path.of(file));
          if (a.contains("--dry-run")) {
            out.print(InterceptRules.nftScript(c));
            out.println("# then: ip -4 rule add " + String.join(" ", InterceptRules.ruleSelector(c.mark(),
                c.routeTable())) + " (unless present)");
            out.println("# then: " + String.join(" ", InterceptRules.localRoute(c.routeTable())));
            return 0;
          }
          rules.install(c);
          return 0;
        }
        case "remove" -> {
          int[] mt = markAndTable(file);
          rules.remove(mt[0], mt[1]);
          return 0;
        }
        case "status" -> {
          int[] mt = markAndTable(file);
          out.print(rules.status(mt[0], mt[1]));
          return rules.installed(mt[0], mt[1]) ? 0 : 3;
        }
        default -> throw new Main.UsageException("intercept needs install, remove or status (see --help)");
      }
    } catch (RuleInstaller.RuleException e) {
      err.println("sscmic intercept: " + e.getMessage());
      return 1;
    }
  }

  private static int[] markAndTable(String file) {
    if (file == null) {
      return new int[] {NodeKeys.INTERCEPT_MARK.defaultValue(), NodeKeys.INTERCEPT_ROUTE_TABLE.defaultValue()};
    }
    InterceptConfig c = load(Path.of(file));
    return new int[] {c.mark(), c.routeTable()};
  }

  private static InterceptConfig load(Path file) {
    Vertx vertx = Vertx.vertx();
    try {
      NodeConfig config = ConfigLoader.load(vertx, file).toCompletionStage().toCompletableFuture().get();
      if (config.intercept() == null) {
        throw new ConfigException("intercept", file + " has no intercept section");
      }
      return config.intercept();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof ConfigException c ? c : new ConfigException("--config", e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("--config", "interrupted");
    } finally {
      vertx.close();
    }
  }
}
