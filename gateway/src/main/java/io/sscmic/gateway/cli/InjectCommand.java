package io.sscmic.gateway.cli;

import io.sscmic.gateway.intercept.KubernetesInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code sscmic inject}: workload YAML in, the same with the sidecar and interception added, out. */
final class InjectCommand {
  static final String HELP = String.join(System.lineSeparator(),
      "Usage: sscmic inject --config-map NAME [--secret NAME] [--image sscmic:0.1.0] [--admin-port 15000]",
      "                     [--tunnel-port 7443] [FILE | -]",
      "",
      "Reads Kubernetes YAML (FILE, or stdin) and writes it to stdout with transparent interception",
      "added to every Pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob):",
      "an init container sscmic-intercept (NET_ADMIN) that runs `sscmic intercept install`, the gateway",
      "as a native sidecar (Kubernetes 1.29+; NET_ADMIN for IP_TRANSPARENT), and the ConfigMap NAME",
      "(key node.yaml, with an intercept section, manage-rules off) mounted at /etc/sscmic. Says what",
      "it did per object on stderr. Already injected templates, and those annotated",
      "sscmic.io/inject: \"false\", are left alone. e.g. kubectl get deploy orders -o yaml | sscmic inject",
      "--config-map orders-sscmic | kubectl apply -f -",
      "  --config-map NAME  the ConfigMap with the node config (required)",
      "  --secret NAME      a Secret mounted read-only at " + KubernetesInjector.SECRET_DIR + " in the sidecar",
      "                     (the mesh seed for keysyn.seed-file, or enrollment tokens)",
      "  --image IMG        the gateway image (default sscmic:0.1.0); it needs nft and ip for the init step",
      "  --admin-port N     the admin port named in the readiness probe (default 15000, plain HTTP)",
      "  --tunnel-port N    the tunnel port declared (default 7443)");

  private InjectCommand() {
  }

  static int run(List<String> a, InputStream stdin, PrintStream out, PrintStream err) {
    String configMap = Main.required(a, "--config-map");
    String image = Main.option(a, "--image", "sscmic:0.1.0");
    String secret = Main.option(a, "--secret", null);
    int admin = port(Main.option(a, "--admin-port", "15000"), "--admin-port");
    int tunnel = port(Main.option(a, "--tunnel-port", "7443"), "--tunnel-port");
    String file = file(a);
    String yaml;
    try {
      yaml = file.equals("-") ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(file));
    } catch (IOException e) {
      err.println("sscmic inject: cannot read " + file + ": " + e.getMessage());
      return 1;
    }
    List<KubernetesInjector.Outcome> outcomes = new ArrayList<>();
    String result;
    try {
      result = new KubernetesInjector(new KubernetesInjector.Options(configMap, image, admin, tunnel, secret))
          .inject(yaml, outcomes);
    } catch (org.yaml.snakeyaml.error.YAMLException e) {
      err.println("sscmic inject: " + file + " is not valid YAML: " + e.getMessage());
      return 1;
    }
    out.print(result);
    outcomes.forEach(o -> err.println("sscmic inject: " + o.kind() + "/" + o.name() + ": " + o.what()));
    return 0;
  }

  /** The one argument that is neither an option nor an option's value (every option takes one), or "-". */
  private static String file(List<String> a) {
    String file = null;
    for (int i = 1; i < a.size(); i++) {
      if (a.get(i).startsWith("--") && a.get(i).length() > 2) {
        i++;
      } else if (file != null) {
        throw new Main.UsageException("inject takes one file, got " + file + " and " + a.get(i));
      } else {
        file = a.get(i);
      }
    }
    return file == null ? "-" : file;
  }

  private static int port(String v, String flag) {
    try {
      int p = Integer.parseInt(v);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new Main.UsageException(flag + " needs a port 1-65535, got '" + v + "'");
  }
}
