package io.sscmic.gateway.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A real Prometheus server (Debian package "prometheus", installed by .ci/run) scraping test nodes. */
public final class PrometheusServer implements AutoCloseable {
  public static final String BINARY = "/usr/bin/prometheus";
  public static final String PROMTOOL = "/usr/bin/promtool";
  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(java.time.Duration.ofSeconds(10)).build();

  /**
   * How the server runs: scrape and rule-evaluation interval (the scrape timeout is the same), the
   * rule files it loads (none: no rules) and labels added to every target, as the shipped
   * deploy/prometheus/prometheus.yml adds {@code mesh}.
   */
  public record Options(Duration interval, List<Path> ruleFiles, Map<String, String> targetLabels) {
    public static final Options DEFAULT = new Options(Duration.ofSeconds(1), List.of(), Map.of());
  }

  public PrometheusServer(Path dir, List<Integer> targets) throws Exception {
    this(dir, targets, Options.DEFAULT);
  }

  public PrometheusServer(Path dir, List<Integer> targets, Options options) throws Exception {
    requireInstalled(BINARY);
    port = freePort();
    String interval = options.interval().toMillis() + "ms";
    StringBuilder config = new StringBuilder("global:\n  scrape_interval: " + interval + "\n  scrape_timeout: " + interval
        + "\n  evaluation_interval: " + interval + "\n");
    if (!options.ruleFiles().isEmpty()) {
      config.append("rule_files:\n");
      options.ruleFiles().forEach(f -> config.append("  - '").append(f.toAbsolutePath()).append("'\n"));
    }
    config.append("scrape_configs:\n  - job_name: sscmic\n    static_configs:\n      - targets: [")
        .append(targets.stream().map(p -> "'127.0.0.1:" + p + "'").collect(Collectors.joining(", "))).append("]\n");
    if (!options.targetLabels().isEmpty()) {
      config.append("        labels:\n");
      options.targetLabels().forEach((k, v) -> config.append("          ").append(k).append(": '").append(v).append("'\n"));
    }
    Path cfg = dir.resolve("prometheus.yml");
    Files.writeString(cfg, config.toString());
    process = new ProcessBuilder(BINARY, "--config.file=" + cfg, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new IllegalStateException("prometheus did not start: " + Files.readString(dir.resolve("prometheus.log")));
      }
      Thread.sleep(100);
    }
  }

  public static void requireInstalled(String path) {
    if (!new File(path).canExecute()) {
      throw new IllegalStateException(path + " is missing: apt-get install prometheus (.ci/run installs it)");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  /** GET on the HTTP API (e.g. "/api/v1/rules"): the whole JSON answer, whatever its status. */
  public JsonObject api(String pathAndQuery) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    try {
      return new JsonObject(r.body());
    } catch (RuntimeException notJson) {
      throw new IllegalStateException("GET " + pathAndQuery + ": HTTP " + r.statusCode() + " " + r.body(), notJson);
    }
  }

  /** An instant query's whole answer ({@code status}, {@code data} or {@code errorType}/{@code error}): no throw. */
  public JsonObject queryAnswer(String promql) throws Exception {
    return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
  }

  /** An instant query; returns the result vector. */
  public JsonArray query(String promql) throws Exception {
    String url = "http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
    String body = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    JsonObject json = new JsonObject(body);
    if (!"success".equals(json.getString("status"))) {
      throw new IllegalStateException("query " + promql + " failed: " + body);
    }
    return json.getJsonObject("data").getJsonArray("result");
  }

  /** The single value of a query, or NaN when there is no series. */
  public double value(String promql) throws Exception {
    JsonArray result = query(promql);
    if (result.isEmpty()) {
      return Double.NaN;
    }
    return Double.parseDouble(result.getJsonObject(0).getJsonArray("value").getString(1));
  }

  /** Polls until the query's value equals {@code expected} (scrapes happen every second). */
  public void awaitValue(String promql, double expected) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    double last = Double.NaN;
    while (System.nanoTime() < deadline) {
      last = value(promql);
      if (last == expected) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(promql + ": expected " + expected + ", Prometheus says " + last);
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor();
  }

  /** Runs {@code promtool check metrics} on a scrape; returns its complaints (empty when clean). */
  static String promtoolCheck(String scrape) throws Exception {
    requireInstalled(PROMTOOL);
    Process p = new ProcessBuilder(PROMTOOL, "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    return rc == 0 ? "" : "promtool exit " + rc + ":\n" + out;
  }
}
