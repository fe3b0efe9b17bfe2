package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.config.ConfigException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class DestinationMatchTest {
  private static DestinationMatch m(String s) {
    return DestinationMatch.parse("intercept.outbound[0].match", s);
  }

  private static boolean hits(DestinationMatch m, String ip, int port) throws Exception {
    return m.matches(InetAddress.getByName(ip), port);
  }

  @Test
  void anAddressAndPortMatchesExactlyThat() throws Exception {
    DestinationMatch m = m("10.1.0.5:6379");
    assertTrue(hits(m, "10.1.0.5", 6379));
    assertFalse(hits(m, "10.1.0.5", 6380));
    assertFalse(hits(m, "10.1.0.6", 6379));
    assertEquals("ip daddr 10.1.0.5 tcp dport 6379", m.nft());
    assertEquals("10.1.0.5:6379", m.toString());
  }

  @Test
  void aBlockWithAPortRange() throws Exception {
    DestinationMatch m = m("10.1.0.0/16:8000-8999");
    assertTrue(hits(m, "10.1.255.7", 8000));
    assertTrue(hits(m, "10.1.0.1", 8999));
    assertFalse(hits(m, "10.1.0.1", 9000));
    assertFalse(hits(m, "10.2.0.1", 8080));
    assertEquals("ip daddr 10.1.0.0/16 tcp dport 8000-8999", m.nft());
  }

  @Test
  void aBlockWithoutPortMatchesEveryPort() throws Exception {
    DestinationMatch m = m("192.168.4.0/24");
    assertTrue(hits(m, "192.168.4.9", 1));
    assertTrue(hits(m, "192.168.4.9", 65535));
    assertFalse(hits(m, "192.168.5.9", 80));
    assertEquals("ip daddr 192.168.4.0/24 meta l4proto tcp", m.nft());
    assertFalse(hits(m("0.0.0.0/0:80"), "::1", 80), "IPv6 is never captured (the rules are ip only)");
  }

  @Test
  void badFormsNameTheKeyAndSayWhatIsExpected() {
    for (String bad : new String[] {"redis:6379", "10.1.0.5:0", "10.1.0.5:70000", "10.1.0.256:80",
        "10.1.0.0/33", "10.1.0.5:90-80", "::1:80"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> m(bad), bad);
      assertTrue(e.getMessage().contains("intercept.outbound[0].match"), e.getMessage());
    }
    ConfigException hostBits = assertThrows(ConfigException.class, () -> m("10.1.0.5/16:80"));
    assertTrue(hostBits.getMessage().contains("the block starts at 10.1.0.0"), hostBits.getMessage());
  }
}
