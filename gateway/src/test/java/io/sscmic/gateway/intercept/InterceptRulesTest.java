package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The nftables script and policy-routing commands generated from a config. */
class InterceptRulesTest {
  static InterceptConfig config(Integer uid) {
    return new InterceptConfig(SocketAddress.inetSocketAddress(15001, "127.0.0.1"), true, 0x5353, 153, uid,
        Duration.ofMillis(300), Set.of(3306), List.of(
            new InterceptRoute(DestinationMatch.parse("m", "10.1.0.5:6379"), "redis",
                SocketAddress.inetSocketAddress(7443, "10.1.0.5")),
            new InterceptRoute(DestinationMatch.parse("m", "10.2.0.0/16"), "legacy",
                SocketAddress.inetSocketAddress(7443, "10.2.0.9"))),
        List.of(SocketAddress.inetSocketAddress(7443, "10.1.0.5"), SocketAddress.inetSocketAddress(7443, "10.2.0.9"),
            SocketAddress.inetSocketAddress(8443, "authority.internal")));
  }

  @Test
  void theScriptReplacesOurTableAsAWholeAndMarksOnlyCapturedDestinations() {
    assertEquals("""
        # sscmic transparent interception: generated, replaced as a whole
        add table inet sscmic
        delete table inet sscmic
        table inet sscmic {
          chain output {
            type route hook output priority mangle; policy accept;
            meta nfproto != ipv4 return
            meta l4proto != tcp return
            meta skuid 1337 return comment "the sidecar's own connections"
            fib daddr type local return comment "local destinations"
            ip daddr 10.1.0.5 tcp dport 7443 return comment "the sidecar's peer or authority"
            ip daddr 10.2.0.9 tcp dport 7443 return comment "the sidecar's peer or authority"
            ip daddr 10.1.0.5 tcp dport 6379 meta mark set 0x5353 counter comment "redis"
            ip daddr 10.2.0.0/16 meta l4proto tcp meta mark set 0x5353 counter comment "legacy"
          }
          chain prerouting {
            type filter hook prerouting priority mangle; policy accept;
            meta nfproto ipv4 iif "lo" meta mark 0x5353 meta l4proto tcp tproxy ip to 127.0.0.1:15001 counter accept
            meta nfproto ipv4 iif "lo" meta mark 0x5353 meta l4proto tcp counter reject with tcp reset comment "no listener: refused"
          }
        }
        """, InterceptRules.nftScript(config(1337)));
  }

  @Test
  void withoutAUidOnlyTheAddressesExcludeTheSidecarsOwnConnections() {
    String script = InterceptRules.nftScript(config(null));
    assertTrue(!script.contains("skuid"), script);
    // The peer at 10.2.0.9:7443 lies inside the captured block 10.2.0.0/16: its exclusion must come first.
    assertTrue(script.indexOf("ip daddr 10.2.0.9 tcp dport 7443 return")
        < script.indexOf("ip daddr 10.2.0.0/16 meta l4proto tcp meta mark set"), script);
    assertTrue(!script.contains("authority.internal"), "a name cannot go into an ip daddr match");
  }

  static InterceptConfig inboundOnly() {
    return new InterceptConfig(SocketAddress.inetSocketAddress(15001, "127.0.0.1"), true, 0x5353, 153, null,
        Duration.ofMillis(300), Set.of(), List.of(), List.of(), Set.of(6379, 5432));
  }

  @Test
  void inboundCaptureRefusesEveryInterfaceButLoopbackOnTheServicePortsAndCounts() {
    assertEquals("""
        # sscmic transparent interception: generated, replaced as a whole
        add table inet sscmic
        delete table inet sscmic
        table inet sscmic {
          counter plaintext_refused {
          }
          chain input {
            type filter hook input priority filter; policy accept;
            iif != "lo" tcp dport { 5432, 6379 } counter name "plaintext_refused" reject with tcp reset comment "plaintext to a local service: only the sidecar may connect"
          }
        }
        """, InterceptRules.nftScript(inboundOnly()), "no outbound capture: no output or prerouting chain");
    InterceptConfig both = new InterceptConfig(config(null).listen(), true, 0x5353, 153, null, Duration.ofMillis(300),
        Set.of(), config(null).routes(), config(null).ownDestinations(), Set.of(6379));
    String script = InterceptRules.nftScript(both);
    assertTrue(script.contains("chain input {") && script.contains("chain output {")
        && script.contains("chain prerouting {"), script);
  }

  @Test
  void ownDestinationsGivenByNameAreExcludedAtTheirAddressesOfNow() {
    String script = InterceptRules.nftScript(config(null),
        host -> host.equals("authority.internal") ? List.of("10.9.0.1", "10.9.0.2") : List.of());
    assertTrue(script.contains("ip daddr 10.9.0.1 tcp dport 8443 return comment \"the sidecar's peer or authority "
        + "authority.internal\""), script);
    assertTrue(script.contains("ip daddr 10.9.0.2 tcp dport 8443 return"), script);
    assertTrue(script.indexOf("10.9.0.2 tcp dport 8443 return") < script.indexOf("meta mark set"), script);
  }

  @Test
  void thePolicyRoutingCommands() {
    assertEquals(List.of("fwmark", "0x5353", "lookup", "153"), InterceptRules.ruleSelector(0x5353, 153));
    assertEquals(List.of("ip", "-4", "route", "replace", "local", "0.0.0.0/0", "dev", "lo", "table", "153"),
        InterceptRules.localRoute(153));
    assertEquals("add table inet sscmic\ndelete table inet sscmic\n", InterceptRules.nftRemoveScript());
  }

  @Test
  void destinationsFromTheRegistryAreOneSetTheNodeRewritesInOneTransaction() {
    InterceptConfig c = config(1337).withRegistry(List.of(new InterceptConfig.RegistryCapture("cache", 6380)));
    String script = InterceptRules.nftScript(c);
    assertTrue(script.contains("  set registry_destinations {\n    type ipv4_addr . inet_service\n  }\n"), script);
    // After the static entries (first match wins) and after every exclusion of the sidecar's own traffic.
    assertTrue(script.indexOf("comment \"legacy\"") < script.indexOf(
        "ip daddr . tcp dport @registry_destinations meta mark set 0x5353 counter comment \"destinations from the registry\""),
        script);
    assertEquals("flush set inet sscmic registry_destinations\n"
        + "add element inet sscmic registry_destinations { 10.0.0.5 . 6380, 10.0.0.6 . 6380 }\n",
        InterceptRules.registrySetScript(List.of(new RegistryDestinations.Destination("10.0.0.6", 6380),
            new RegistryDestinations.Destination("10.0.0.5", 6380))));
    assertEquals("flush set inet sscmic registry_destinations\n", InterceptRules.registrySetScript(List.of()),
        "no destinations: the set is emptied");
  }

  /**
   * The real nft, in a throwaway network namespace: the table with the registry's set installs,
   * the node's set rewrites apply one after the other, and the set then holds the last one only.
   */
  @Test
  void nftFillsAndRewritesTheRegistrySet() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")) && Files.isExecutable(Path.of("/usr/bin/unshare"))
        && "root".equals(System.getProperty("user.name")), "needs root, nft and unshare");
    InterceptConfig c = config(1337).withRegistry(List.of(new InterceptConfig.RegistryCapture("cache", 6380)));
    String all = InterceptRules.nftScript(c)
        + InterceptRules.registrySetScript(List.of(new RegistryDestinations.Destination("10.0.0.5", 6380),
            new RegistryDestinations.Destination("10.0.0.6", 6380)))
        + InterceptRules.registrySetScript(List.of(new RegistryDestinations.Destination("10.0.0.7", 6380)));
    CommandRunner.Result r = CommandRunner.system().run(List.of("unshare", "--net", "/bin/sh", "-c",
        "/usr/sbin/nft -f - && /usr/sbin/nft list set inet sscmic registry_destinations"), all);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("10.0.0.7 . 6380") && !r.out().contains("10.0.0.5"), r.out());
  }

  /** The kernel's own parser accepts the script (nft --check, in a throwaway network namespace). */
  @Test
  void nftAcceptsTheScript() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")) && Files.isExecutable(Path.of("/usr/bin/unshare"))
        && "root".equals(System.getProperty("user.name")), "needs root, nft and unshare");
    for (InterceptConfig c : List.of(config(1337), config(null), inboundOnly(),
        config(null).withRegistry(List.of(new InterceptConfig.RegistryCapture("cache", 6380))))) {
      CommandRunner.Result r = CommandRunner.system().run(List.of("unshare", "--net", "/usr/sbin/nft", "--check",
          "-f", "-"), InterceptRules.nftScript(c));
      assertEquals(0, r.exit(), r.err());
    }
  }
}
