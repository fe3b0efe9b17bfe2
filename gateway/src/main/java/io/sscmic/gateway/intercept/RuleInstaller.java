package io.sscmic.gateway.intercept;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Applies and removes the capture rules ({@link InterceptRules}) with nft and ip, idempotently,
 * telling {@code say} each thing it did in words an operator can check with nft and ip. Blocking:
 * call it from a worker or the command line. Touches only our table, our fwmark rule and our
 * routing table.
 */
public final class RuleInstaller {
  /** nft or ip refused: the message carries their own words. */
  public static final class RuleException extends RuntimeException {
    RuleException(String message) {
      super(message);
    }
  }

  private final CommandRunner runner;
  private final Consumer<String> say;
  private final InterceptRules.NameResolver names;

  /** With the system resolver for the sidecar's own destinations given by name. */
  public RuleInstaller(CommandRunner runner, Consumer<String> say) {
    this(runner, say, InterceptRules.NameResolver.system());
  }

  public RuleInstaller(CommandRunner runner, Consumer<String> say, InterceptRules.NameResolver names) {
    this.runner = runner;
    this.say = say;
    this.names = names;
  }

  /** Installs (or replaces) our table and adds the policy routing unless it is there already. */
  public void install(InterceptConfig c) {
    boolean had = tablePresent();
    for (io.vertx.core.net.SocketAddress own : c.ownDestinations()) {
      String host = own.hostAddress() != null ? own.hostAddress() : own.host();
      if (host != null && !host.matches("\\d+(\\.\\d+){3}") && c.excludeUid() == null && c.capturesOutbound()) {
        List<String> ips = names.ipv4(host);
        say.accept("the sidecar's own destination " + host + ":" + own.port() + " is a name: excluded from capture at "
            + (ips.isEmpty() ? "no address (it does not resolve now)" : ips) + " only; set intercept.exclude-uid "
            + "to exclude the sidecar's connections whatever their address");
      }
    }
    run(List.of("nft", "-f", "-"), InterceptRules.nftScript(c, names));
    say.accept((had ? "replaced" : "created") + " nftables table " + InterceptRules.TABLE + ": " + c.routes().size()
        + " destination(s)" + (c.registry().isEmpty() ? "" : " and the registry's of " + c.registry().stream()
        .map(r -> r.service() + ":" + r.port()).toList()) + " captured to " + c.listen().hostAddress() + ":" + c.listen().port() + " with mark "
        + InterceptRules.hex(c.mark())
        + (c.inboundPorts().isEmpty() ? "" : "; plaintext from outside refused on local port(s) "
        + c.inboundPorts().stream().sorted().toList()));
    if (!c.capturesOutbound()) {
      say.accept("no outbound capture: no policy routing needed");
      return;
    }
    if (rulePresent(c.mark(), c.routeTable())) {
      say.accept("ip rule " + String.join(" ", InterceptRules.ruleSelector(c.mark(), c.routeTable()))
          + " already present");
    } else {
      List<String> add = new ArrayList<>(List.of("ip", "-4", "rule", "add"));
      add.addAll(InterceptRules.ruleSelector(c.mark(), c.routeTable()));
      run(add, null);
      say.accept("added ip rule " + String.join(" ", InterceptRules.ruleSelector(c.mark(), c.routeTable())));
    }
    run(InterceptRules.localRoute(c.routeTable()), null);
    say.accept("route local 0.0.0.0/0 dev lo in table " + c.routeTable() + " in place");
  }

  /** Makes the kernel's set of destinations from the registry exactly {@code destinations}. */
  public void registryDestinations(java.util.Collection<RegistryDestinations.Destination> destinations) {
    run(List.of("nft", "-f", "-"), InterceptRules.registrySetScript(destinations));
    say.accept("set " + InterceptRules.REGISTRY_SET + " holds " + destinations.size()
        + " destination(s) from the registry");
  }

  /** Removes our table, our fwmark rule(s) and our routing table's routes; says what was there. */
  public void remove(int mark, int routeTable) {
    if (tablePresent()) {
      run(List.of("nft", "-f", "-"), InterceptRules.nftRemoveScript());
      say.accept("deleted nftables table " + InterceptRules.TABLE);
    } else {
      say.accept("nftables table " + InterceptRules.TABLE + " not present");
    }
    int removed = 0;
    while (rulePresent(mark, routeTable) && removed < 100) {
      List<String> del = new ArrayList<>(List.of("ip", "-4", "rule", "del"));
      del.addAll(InterceptRules.ruleSelector(mark, routeTable));
      run(del, null);
      removed++;
    }
    say.accept(removed == 0 ? "no ip rule " + String.join(" ", InterceptRules.ruleSelector(mark, routeTable))
        : "deleted ip rule " + String.join(" ", InterceptRules.ruleSelector(mark, routeTable))
        + (removed > 1 ? " (" + removed + " copies)" : ""));
    CommandRunner.Result flush = runner.run(List.of("ip", "-4", "route", "flush", "table", String.valueOf(routeTable)),
        null);
    say.accept(flush.ok() ? "flushed routing table " + routeTable : "routing table " + routeTable + " already empty");
  }

  /** What is installed now: our table as nft lists it, our rule and our routing table. */
  public String status(int mark, int routeTable) {
    StringBuilder s = new StringBuilder();
    CommandRunner.Result table = runner.run(List.of("nft", "list", "table", "inet", "sscmic"), null);
    s.append(table.ok() ? table.out() : "nftables table " + InterceptRules.TABLE + ": not installed\n");
    List<String> show = new ArrayList<>(List.of("ip", "-4", "rule", "show"));
    show.addAll(InterceptRules.ruleSelector(mark, routeTable));
    CommandRunner.Result rule = runner.run(show, null);
    s.append("ip rule ").append(String.join(" ", InterceptRules.ruleSelector(mark, routeTable))).append(": ")
        .append(rule.ok() && !rule.out().isBlank() ? "present" : "absent").append('\n');
    CommandRunner.Result routes = runner.run(List.of("ip", "-4", "route", "show", "table",
        String.valueOf(routeTable)), null);
    s.append("routing table ").append(routeTable).append(": ")
        .append(routes.ok() && !routes.out().isBlank() ? routes.out().strip() : "empty").append('\n');
    return s.toString();
  }

  /** Whether the whole capture is installed (the table and the rule). */
  public boolean installed(int mark, int routeTable) {
    return tablePresent() && rulePresent(mark, routeTable);
  }

  /**
   * Connections refused by inbound capture so far (the named counter's packets: one SYN per
   * refused attempt), or -1 when our table or the counter is not there.
   */
  public long plaintextRefused() {
    CommandRunner.Result r = runner.run(List.of("nft", "list", "counter", "inet", "sscmic",
        InterceptRules.PLAINTEXT_REFUSED), null);
    if (!r.ok()) {
      return -1;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(r.out());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private boolean tablePresent() {
    return runner.run(List.of("nft", "list", "table", "inet", "sscmic"), null).ok();
  }

  private boolean rulePresent(int mark, int routeTable) {
    List<String> show = new ArrayList<>(List.of("ip", "-4", "rule", "show"));
    show.addAll(InterceptRules.ruleSelector(mark, routeTable));
    CommandRunner.Result r = runner.run(show, null);
    return r.ok() && !r.out().isBlank();
  }

  private void run(List<String> argv, String stdin) {
    CommandRunner.Result r = runner.run(argv, stdin);
    if (!r.ok()) {
      throw new RuleException(String.join(" ", argv) + " failed (exit " + r.exit() + "): "
          + (r.err().isBlank() ? r.out() : r.err()).strip());
    }
  }
}
