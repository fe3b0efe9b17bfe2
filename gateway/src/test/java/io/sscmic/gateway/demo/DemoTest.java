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
      Demo.Mesh mesh = await(Demo.start(vertx, Duration.ofSeconds(1), io.sscmic.gateway.process.Runtimes.registry()));
      List<Node> nodes = mesh.nodes();
      // The nodes hold no seed: they enrolled and recovered their key state from the demo's authority.
      assertEquals(null, nodes.get(0).config().keysyn().seed());
      assertEquals(2L, mesh.authority().server().outcomes().get("enroll.ok"));
      assertEquals(2L, mesh.authority().server().outcomes().get("recover.ok"));
      HttpClient http = vertx.createHttpClient();
      String echoed = await(http.request(HttpMethod.POST, Demo.TO_ECHO, "127.0.0.1", "/")
          .compose(req -> req.send(Buffer.buffer("hello through the tunnel")))
          .compose(resp -> resp.body())).toString();
      assertEquals("hello through the tunnel\n", echoed);
      String web = await(http.request(HttpMethod.GET, Demo.TO_WEB, "127.0.0.1", "/")
          .compose(req -> req.send())
          .compose(resp -> resp.body())).toString();
      assertTrue(web.startsWith("hello from the web service behind sidecar alpha"), web);
      String viaHttpMode = await(http.request(HttpMethod.POST, Demo.HTTP_LISTENER, "127.0.0.1", "/echo")
          .compose(req -> req.send(Buffer.buffer("hello over HTTP mode")))
          .compose(resp -> resp.body())).toString();
      assertEquals("hello over HTTP mode\n", viaHttpMode);
      Process curl = new ProcessBuilder("curl", "-s", "-S", "-m", "20", "-x", "http://127.0.0.1:" + Demo.HTTP_LISTENER,
          "--data-binary", "as a forward proxy", "http://echo/").redirectErrorStream(true).start();
      assertEquals("as a forward proxy\n", new String(curl.getInputStream().readAllBytes()));
      assertEquals(0, curl.waitFor());
      assertTrue(nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.CURRENT)
          + nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.PREVIOUS)
          + nodes.get(0).metrics().framesOpened(io.sscmic.keysyn.KeyRole.NEXT) > 0, "frames went through alpha");
      // The printed dashboard password opens the three dashboards and, with curl -u as the banner
      // shows, /status; without it /status answers 401.
      for (int port : new int[] {Demo.ALPHA_ADMIN, Demo.BETA_ADMIN, Demo.AUTHORITY_ADMIN}) {
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
      await(http.close());
      await(mesh.stop());
      assertTrue(!java.nio.file.Files.exists(mesh.dir()), "the demo deletes its mesh files on exit");
    } finally {
      await(vertx.close());
    }
  }
}
