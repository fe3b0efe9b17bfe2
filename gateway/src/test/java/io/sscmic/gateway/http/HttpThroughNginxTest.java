package io.sscmic.gateway.http;

import io.sscmic.gateway.TestVertx;
import static io.sscmic.gateway.http.HttpMesh.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Vertx;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real nginx (Debian's package) behind the sidecar pair: files, status codes and keep-alive as nginx serves them. */
class HttpThroughNginxTest {
  private static final String NGINX = "/usr/sbin/nginx";

  @Test
  void nginxServesThroughTheTunnel(@TempDir Path dir) throws Exception {
    if (!new File(NGINX).canExecute()) {
      throw new IllegalStateException(NGINX + " is missing: apt-get install nginx-light (.ci/run installs it)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path root = Files.createDirectories(dir.resolve("www"));
    byte[] big = new byte[12 << 20];
    new Random(12).nextBytes(big);
    Files.write(root.resolve("big.bin"), big);
    Files.writeString(root.resolve("index.html"), "<h1>nginx behind sscmic</h1>\n");
    Files.createDirectories(dir.resolve("logs"));
    Files.writeString(dir.resolve("nginx.conf"), String.join("\n",
        // As root, nginx's workers would drop to "nobody", who cannot read JUnit's 0700 temp directory.
        "daemon off;", "worker_processes 1;", "user " + System.getProperty("user.name") + ";", "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("logs/error.log") + ";",
        "events { worker_connections 256; }",
        "http {",
        "  access_log off;",
        "  client_body_temp_path " + dir.resolve("tmp") + ";",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    root " + root + ";",
        "    location /echo-status { return 418 \"teapot from nginx\\n\"; }",
        "  }",
        "}", ""));
    Process nginx = new ProcessBuilder(NGINX, "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    Vertx vertx = TestVertx.create();
    try {
      Instant genesis = Instant.now().minusSeconds(600);
      Duration interval = Duration.ofSeconds(2);
      Node server = HttpMesh.server(vertx, "s1", genesis, interval, "site", port);
      Node client = HttpMesh.client(vertx, "client", genesis, interval, new HttpModeConfig(loopback(0),
          List.of(new HttpRoute(null, "/", "site", null)), Map.of("site", List.of(loopback(server.tunnelPort()))),
          Duration.ofSeconds(30), 8, false), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + client.httpPort();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      HttpResponse<String> index = null;
      while (index == null || index.statusCode() != 200) {
        assertTrue(System.nanoTime() < deadline, "nginx did not come up: " + (index == null ? "" : index.statusCode()
            + " " + index.body()) + Files.readString(dir.resolve("nginx.out")));
        Thread.sleep(100);
        index = http.send(HttpRequest.newBuilder(URI.create(base + "/index.html")).build(),
            HttpResponse.BodyHandlers.ofString());
      }
      assertEquals("<h1>nginx behind sscmic</h1>\n", index.body());
      assertTrue(index.headers().firstValue("server").orElse("").startsWith("nginx"), index.headers().toString());

      HttpResponse<byte[]> file = http.send(HttpRequest.newBuilder(URI.create(base + "/big.bin")).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, file.statusCode());
      assertEquals(HttpMesh.sha256(big), HttpMesh.sha256(file.body()));
      assertEquals(String.valueOf(big.length), file.headers().firstValue("content-length").orElse(null));

      HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create(base + "/big.bin"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());

      HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
      assertFalse(missing.headers().firstValue(HttpProxyVerticle.PRODUCED_BY).isPresent(),
          "nginx's own 404 is passed on, not produced by the sidecar");
      HttpResponse<String> teapot = http.send(HttpRequest.newBuilder(URI.create(base + "/echo-status")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(418, teapot.statusCode());
      assertEquals("teapot from nginx\n", teapot.body());
    } finally {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
      HttpMesh.await(vertx.close());
    }
  }
}
