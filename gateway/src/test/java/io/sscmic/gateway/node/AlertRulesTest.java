package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped alerts (deploy/prometheus/sscmic-alerts.yml) under Prometheus's own rule tester:
 * each alert fires in the situation it names and stays silent in the normal one beside it, e.g.
 * nodes one epoch apart only because the scrape fell between their rotations raise no skew alert,
 * a draining node is not "not ready", a service answering 1 % errors raises no error-rate alert.
 */
class AlertRulesTest {

  @Test
  void everyAlertFiresWhereItMustAndNowhereElse(@TempDir Path dir) throws Exception {
    PrometheusServer.requireInstalled(PrometheusServer.PROMTOOL);
    Path rules = Path.of("..", "deploy", "prometheus").toAbsolutePath().normalize();
    Path log = dir.resolve("promtool.log");
    Process p = new ProcessBuilder(PrometheusServer.PROMTOOL, "test", "rules", "sscmic-alerts.test.yml")
        .directory(rules.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "promtool test rules finished");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("SUCCESS"), out);
  }

  @Test
  void everyAlertHasATestCase() throws Exception {
    String alerts = Files.readString(Path.of("..", "deploy", "prometheus", "sscmic-alerts.yml"));
    String tests = Files.readString(Path.of("..", "deploy", "prometheus", "sscmic-alerts.test.yml"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("- alert: (\\w+)").matcher(alerts);
    int n = 0;
    while (m.find()) {
      n++;
      assertTrue(tests.contains("alertname: " + m.group(1)), "sscmic-alerts.test.yml tests " + m.group(1));
    }
    assertTrue(n >= 13, "alerts found: " + n);
  }
}
