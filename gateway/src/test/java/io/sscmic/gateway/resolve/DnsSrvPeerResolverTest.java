package io.sscmic.gateway.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DNS SRV resolver against a real DNS server on loopback (UDP, port 0), through Vert.x's
 * DnsClient: records become endpoints, changes reach watchers at the next refresh, only the lowest
 * priority counts, NXDOMAIN empties the set, and a DNS server that stops answering leaves the last
 * answer in place.
 */
class DnsSrvPeerResolverTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();

  private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void srvRecordsAreEndpointsAndFollowChanges() throws Exception {
    SrvDnsServer dns = SrvDnsServer.start(vertx.get());
    dns.records.put("_billing._tcp.mesh.test", List.of(new SrvDnsServer.Srv(10, 5, 7443, "b1.mesh.test"),
        new SrvDnsServer.Srv(10, 5, 7444, "b2.mesh.test"), new SrvDnsServer.Srv(20, 5, 7443, "backup.mesh.test")));
    DnsSrvPeerResolver resolver = new DnsSrvPeerResolver(vertx.get(), dns.address(), "mesh.test.",
        Duration.ofMillis(200));
    assertEquals("_billing._tcp.mesh.test", resolver.name("billing"));
    List<List<Endpoint>> seen = new CopyOnWriteArrayList<>();
    EndpointWatch watch = resolver.watch("billing", seen::add);
    assertEquals(List.of(), seen.get(0), "nothing known before the first answer");

    List<Endpoint> both = List.of(new Endpoint("b1.mesh.test", 7443, null), new Endpoint("b2.mesh.test", 7444, null));
    eventually(() -> watch.current().equals(both), "the lowest-priority records " + seen);

    // A replica added in DNS reaches the watcher at the next refresh.
    dns.records.put("_billing._tcp.mesh.test", List.of(new SrvDnsServer.Srv(10, 5, 7443, "b1.mesh.test"),
        new SrvDnsServer.Srv(10, 5, 7444, "b2.mesh.test"), new SrvDnsServer.Srv(10, 5, 7445, "b3.mesh.test")));
    eventually(() -> watch.current().size() == 3, "the third replica");

    // The DNS server goes away: the last answer stays (DNS down is not the service gone).
    dns.close();
    int count = seen.size();
    Thread.sleep(1000);
    assertEquals(3, watch.current().size());
    assertEquals(count, seen.size(), "no change delivered while DNS is down");

    // Back, with the name gone (NXDOMAIN): the set empties.
    SrvDnsServer again = SrvDnsServer.start(vertx.get());
    DnsSrvPeerResolver second = new DnsSrvPeerResolver(vertx.get(), again.address(), "mesh.test", Duration.ofMillis(200));
    List<Endpoint> none = TestMesh.await(second.query("orders"));
    assertEquals(List.of(), none);
    assertTrue(again.queries.get() >= 1, "the query reached the DNS server");
    watch.close();
    TestMesh.await(resolver.close());
    TestMesh.await(second.close());
  }
}
