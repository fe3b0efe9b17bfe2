package io.sscmic.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/kubernetes/intercept-example.yaml is what {@code sscmic inject} makes of
 * deploy/kubernetes/inject/legacy.yaml: below its marker line (which holds the command), the file
 * is that command's output byte for byte, so the example cannot drift from the injector. Its
 * ConfigMap's node.yaml is a config {@code sscmic intercept install} accepts. After changing the
 * injector, rewrite the generated part with
 * {@code mvn -pl gateway -am test -Dtest=InjectExampleTest -Dsscmic.inject.example=write}.
 */
class InjectExampleTest {
  private static final Path EXAMPLE = Path.of("..", "deploy", "kubernetes", "intercept-example.yaml");
  private static final String MARKER = "# ---- generated below this line by: sscmic ";

  @TempDir
  Path dir;

  /** The command on the marker line, its file relative to the repository root. */
  private static List<String> command(String example) {
    String line = example.lines().filter(l -> l.startsWith(MARKER)).findFirst()
        .orElseThrow(() -> new AssertionError("no line starting '" + MARKER + "' in " + EXAMPLE));
    List<String> args = new ArrayList<>(Arrays.asList(line.substring(MARKER.length()).trim().split("\\s+")));
    String file = args.remove(args.size() - 1);
    args.add(Path.of("..").resolve(file).toString()); // the tests run in gateway/
    return args;
  }

  private static String inject(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc = InjectCommand.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("Deployment/legacy: injected"), err.toString());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theExampleBelowItsMarkerIsExactlyWhatInjectWrites() throws Exception {
    String example = Files.readString(EXAMPLE);
    String injected = inject(command(example));
    int cut = example.indexOf('\n', example.indexOf(MARKER)) + 1;
    if ("write".equals(System.getProperty("sscmic.inject.example"))) {
      Files.writeString(EXAMPLE, example.substring(0, cut) + injected);
      return;
    }
    assertEquals(injected, example.substring(cut), EXAMPLE + " differs from `sscmic " + String.join(" ",
        command(example)) + "`: rewrite it with -Dsscmic.inject.example=write");
  }

  @Test
  @SuppressWarnings("unchecked")
  void itsNodeConfigIsOneInterceptInstallAccepts() throws Exception {
    Map<String, Object> configMap = null;
    for (Object doc : new Yaml().loadAll(Files.readString(EXAMPLE))) {
      if (doc instanceof Map<?, ?> m && "ConfigMap".equals(m.get("kind"))) {
        configMap = (Map<String, Object>) m;
      }
    }
    assertTrue(configMap != null, "a ConfigMap in " + EXAMPLE);
    Path node = Files.writeString(dir.resolve("node.yaml"), ((Map<String, String>) configMap.get("data")).get("node.yaml"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc = InterceptCommand.run(List.of("intercept", "install", "--config", node.toString(), "--dry-run"),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        (argv, stdin) -> {
          throw new AssertionError("a dry run runs nothing: " + argv);
        });
    String script = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    // The legacy application's calls to the cluster's Service addresses on 8080 are captured; the
    // sidecar's own (root) connections never are.
    assertTrue(script.contains("ip daddr 10.96.0.0/12 tcp dport 8080 meta mark set 0x5353"), script);
    assertTrue(script.contains("meta skuid 0 return"), script);
  }
}
