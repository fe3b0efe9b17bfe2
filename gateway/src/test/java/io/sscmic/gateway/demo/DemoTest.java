package io.sscmic.gateway.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.node.DashboardClient;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's first command: the demo mesh answers the requests it tells the user to try. */
class DemoTest {
  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void theTwoSuggestedCurlRequestsWorkThroughTheTunnel() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // A free port base: the default ports may be a running demo's (the README's first command).
      DemoPorts ports = freePorts();
      Demo.Mesh mesh = await(Demo.start(vertx, Duration.ofSeconds(1), ports, io.sscmic.gateway.process.Runtimes.registry()));
      List<Node> nodes = mesh.nodes();
      // The nodes hold no seed: they enrolled and recovered their key state from the demo's authority.
      assertEquals(null, nodes.get(0).config().keysyn().seed());
      assertEquals(2L, mesh.authority().server().outcomes().get("enroll.ok"));
      // At least one recovery each (a slow start lets alpha's 2 s refresh come before beta is up).
      assertTrue(mesh.authority().server().outcomes().get("recover.ok") >= 2L, "both nodes recovered");
      HttpClient http = vertx.createHttpClient();
      String echoed = await(http.request(HttpMethod.POST, ports.toEcho(), "127.0.0.1", "/")
          .compose(req -> req.send(Buffer.buffer("hello through the tunnel")))
          .compose(resp -> resp.body())).toString();
      assertEquals("hello through the tunnel\n", echoed);
      String web = await(http.request(HttpMethod.GET, ports.toWeb(), "127.0.0.1", "/")
          .compose(req -> req.send())
          .compose(resp -> resp.body())).toString();
      assertTrue(web.startsWith("hello from the web service behind sidecar alpha"), web);
      // The TCP routes ran on tunnel v2, each node authenticated by the certificate it enrolled for.
      assertEquals(1.0, nodes.get(0).v2().handshakes(io.sscmic.gateway.mux.Role.CLIENT), "alpha dialled beta once, v2");
      assertEquals(1.0, nodes.get(1).v2().handshakes(io.sscmic.gateway.mux.Role.CLIENT), "beta dialled alpha once, v2");
      String viaHttpMode = await(http.request(HttpMethod.POST, ports.httpListener(), "127.0.0.1", "/echo")
          .compose(req -> req.send(Buffer.buffer("hello over HTTP mode")))
          .compose(resp -> resp.body())).toString();
      assertEquals("hello over HTTP mode\n", viaHttpMode);
      Process curl = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-x", "http://127.0.0.1:" + ports.httpListener(),
          "--data-binary", "as a forward proxy", "http://echo/").redirectErrorStream(true).start();
      assertEquals("as a forward proxy\n", new String(curl.getInputStream().readAllBytes()));
      assertEquals(0, curl.waitFor());
      assertTrue(nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.CURRENT)
          + nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.PREVIOUS)
          + nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.NEXT) > 0, "frames went through alpha");
      // The printed dashboard password opens the three dashboards and, with curl -u as the banner
      // shows, /status; without it /status answers 401.
      for (int port : new int[] {ports.alphaAdmin(), ports.betaAdmin(), ports.authorityAdmin()}) {
        assertEquals(200, new DashboardClient(port).login(mesh.dashboardPassword()).statusCode(),
            "dashboard login on " + port);
        String status = "http://127.0.0.1:" + port + "/status";
        Process withPassword = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-w", "\n%{http_code}",
            "-u", "admin:" + mesh.dashboardPassword(), status).redirectErrorStream(true).start();
        String answer = new String(withPassword.getInputStream().readAllBytes());
        assertEquals(0, withPassword.waitFor(), answer);
        assertTrue(answer.endsWith("\n200") && answer.contains("\"epoch\""), answer);
        Process anonymous = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}",
            status).redirectErrorStream(true).start();
        assertEquals("401", new String(anonymous.getInputStream().readAllBytes()), "/status without the password");
        anonymous.waitFor();
      }
      // Each admin port serves its own node's series: a Prometheus scraping the three counts each once.
      String alphaMetrics = curl("http://127.0.0.1:" + ports.alphaAdmin() + "/metrics");
      String betaMetrics = curl("http://127.0.0.1:" + ports.betaAdmin() + "/metrics");
      assertTrue(alphaMetrics.contains("sscmic_keysyn_ready{node=\"alpha\"}"), "alpha serves its own series");
      assertTrue(!alphaMetrics.contains("node=\"beta\"") && !alphaMetrics.contains("node=\"authority\""),
          "alpha's port serves no other node's series");
      assertTrue(betaMetrics.contains("sscmic_keysyn_ready{node=\"beta\"}") && !betaMetrics.contains("node=\"alpha\""),
          "beta's port serves beta's series only");
      await(http.close());
      await(mesh.stop());
      assertTrue(!java.nio.file.Files.exists(mesh.dir()), "the demo deletes its mesh files on exit");
    } finally {
      await(vertx.close());
    }
  }

  private static String curl(String url) throws Exception {
    Process p = new ProcessBuilder("curl", "-s", "-S", "-m", "20", url).redirectErrorStream(true).start();
    String body = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), body);
    return body;
  }

  /** A base whose eleven ports are all free now (tried by binding each), away from the default. */
  static DemoPorts freePorts() throws Exception {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 50; attempt++) {
      DemoPorts ports = new DemoPorts(20000 + random.nextInt(30000));
      boolean free = true;
      for (int port : new int[] {ports.toEcho(), ports.toWeb(), ports.httpListener(), ports.alphaTunnel(),
          ports.betaTunnel(), ports.webBackend(), ports.echoBackend(), ports.authority(), ports.alphaAdmin(),
          ports.betaAdmin(), ports.authorityAdmin()}) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (java.io.IOException taken) {
          free = false;
          break;
        }
      }
      if (free) {
        return ports;
      }
    }
    throw new IllegalStateException("no free demo port base found in 50 tries");
  }
}
