package io.sscmic.gateway.intercept;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * {@code sscmic inject}: adds transparent interception to Kubernetes workloads, as
 * {@code linkerd inject} does. Into every Pod template of the YAML (Pod, Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Job, CronJob) it puts
 * <ul>
 *   <li>an init container {@code sscmic-intercept} that runs {@code sscmic intercept install}
 *       from the node config (NET_ADMIN, root, nothing else): the rules live in the Pod's own
 *       network namespace and vanish with it, so nothing removes them;</li>
 *   <li>the gateway as a native sidecar ({@code sscmic}, an init container with
 *       {@code restartPolicy: Always}): started, and ready, before the application, so no
 *       captured connection meets an absent listener; it needs NET_ADMIN for IP_TRANSPARENT;</li>
 *   <li>the node config from the ConfigMap named by {@code --config-map} (key {@code node.yaml})
 *       at /etc/sscmic, with {@code --secret} a Secret (the mesh seed, or enrollment tokens) at
 *       {@value #SECRET_DIR} in the sidecar, an emptyDir at /tmp (its root filesystem is
 *       read-only), and the annotation {@code sscmic.io/injected: "true"}.</li>
 * </ul>
 * Anything else passes through unchanged; a template already injected, or annotated
 * {@code sscmic.io/inject: "false"}, is left alone. YAML comments are not kept.
 */
public final class KubernetesInjector {
  public static final String INJECTED = "sscmic.io/injected";
  public static final String OPT_OUT = "sscmic.io/inject";
  static final String CONFIG_VOLUME = "sscmic-config";
  static final String SECRET_VOLUME = "sscmic-secret";
  static final String TMP_VOLUME = "sscmic-tmp";
  /** Where the {@code --secret} Secret is mounted in the sidecar (outside the ConfigMap's read-only /etc/sscmic). */
  public static final String SECRET_DIR = "/etc/sscmic-secret";
  private static final Set<String> TEMPLATED = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job");

  /**
   * What to inject.
   *
   * @param secret a Secret mounted read-only at {@value #SECRET_DIR} in the sidecar, or null for none
   */
  public record Options(String configMap, String image, int adminPort, int tunnelPort, String secret) {
    /** Without a Secret. */
    public Options(String configMap, String image, int adminPort, int tunnelPort) {
      this(configMap, image, adminPort, tunnelPort, null);
    }
  }

  /** What happened to one document. */
  public record Outcome(String kind, String name, String what) {
  }

  private final Options options;

  public KubernetesInjector(Options options) {
    this.options = options;
  }

  /** The documents of {@code yaml}, injected, as YAML; {@code outcomes} gets one line per document. */
  public String inject(String yaml, List<Outcome> outcomes) {
    LoaderOptions load = new LoaderOptions();
    Yaml parser = new Yaml(new SafeConstructor(load));
    List<Object> docs = new ArrayList<>();
    for (Object doc : parser.loadAll(yaml)) {
      if (doc == null) {
        continue;
      }
      docs.add(doc);
      outcomes.add(injectDocument(doc));
    }
    DumperOptions dump = new DumperOptions();
    dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    dump.setIndicatorIndent(2);
    dump.setIndentWithIndicator(true);
    dump.setWidth(120);
    Yaml writer = new Yaml(new Representer(dump), dump);
    StringBuilder out = new StringBuilder();
    for (Object doc : docs) {
      if (out.length() > 0) {
        out.append("---\n");
      }
      out.append(writer.dump(doc));
    }
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private Outcome injectDocument(Object doc) {
    if (!(doc instanceof Map)) {
      return new Outcome("?", "?", "not a Kubernetes object: unchanged");
    }
    Map<String, Object> o = (Map<String, Object>) doc;
    String kind = String.valueOf(o.get("kind"));
    String name = String.valueOf(peek(o, "metadata").get("name"));
    Map<String, Object> template;
    if (kind.equals("Pod")) {
      template = o;
    } else if (TEMPLATED.contains(kind)) {
      template = peek(peek(o, "spec"), "template");
    } else if (kind.equals("CronJob")) {
      template = peek(peek(peek(peek(o, "spec"), "jobTemplate"), "spec"), "template");
    } else {
      return new Outcome(kind, name, "unchanged (no Pod template)");
    }
    // Looked at without changing anything: a document that is not injected is written back as read.
    Map<String, Object> seen = peek(peek(template, "metadata"), "annotations");
    if ("false".equals(String.valueOf(seen.get(OPT_OUT)))) {
      return new Outcome(kind, name, "skipped (" + OPT_OUT + ": \"false\")");
    }
    Map<String, Object> seenSpec = peek(template, "spec");
    Object seenInits = seenSpec.get("initContainers");
    boolean present = "true".equals(String.valueOf(seen.get(INJECTED)))
        || seenInits instanceof List<?> l && l.stream().anyMatch(c -> c instanceof Map<?, ?> m
            && "sscmic".equals(m.get("name")));
    if (present) {
      return new Outcome(kind, name, "already injected: unchanged");
    }
    if (Boolean.TRUE.equals(seenSpec.get("hostNetwork"))) {
      return new Outcome(kind, name, "skipped (hostNetwork: the rules would capture the node's traffic)");
    }
    if (!(template.get("spec") instanceof Map)) {
      return new Outcome(kind, name, "unchanged (no Pod spec)");
    }
    Map<String, Object> annotations = map(map(template, "metadata"), "annotations");
    Map<String, Object> spec = map(template, "spec");
    List<Object> inits = list(spec, "initContainers");
    inits.add(0, interceptInit());
    inits.add(1, sidecar());
    List<Object> volumes = list(spec, "volumes");
    Map<String, Object> volume = new LinkedHashMap<>();
    volume.put("name", CONFIG_VOLUME);
    volume.put("configMap", new LinkedHashMap<>(Map.of("name", options.configMap())));
    volumes.add(volume);
    volumes.add(entry("name", TMP_VOLUME, "emptyDir", new LinkedHashMap<>()));
    if (options.secret() != null) {
      Map<String, Object> secret = new LinkedHashMap<>();
      secret.put("secretName", options.secret());
      secret.put("defaultMode", 0440);
      volumes.add(entry("name", SECRET_VOLUME, "secret", secret));
    }
    annotations.put(INJECTED, "true");
    return new Outcome(kind, name, "injected: init container sscmic-intercept, sidecar sscmic, ConfigMap "
        + options.configMap() + (options.secret() == null ? "" : ", Secret " + options.secret()));
  }

  private Map<String, Object> interceptInit() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", "sscmic-intercept");
    c.put("image", options.image());
    c.put("args", new ArrayList<>(List.of("intercept", "install", "--config", "/etc/sscmic/node.yaml")));
    c.put("securityContext", securityContext(List.of("NET_ADMIN")));
    c.put("volumeMounts", configMount());
    return c;
  }

  private Map<String, Object> sidecar() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", "sscmic");
    c.put("image", options.image());
    // A native sidecar (Kubernetes 1.29+): up and ready before the application starts.
    c.put("restartPolicy", "Always");
    c.put("args", new ArrayList<>(List.of("node", "--config", "/etc/sscmic/node.yaml", "--log-json")));
    List<Object> env = new ArrayList<>();
    Map<String, Object> pod = new LinkedHashMap<>();
    pod.put("name", "POD_NAME");
    pod.put("valueFrom", new LinkedHashMap<>(Map.of("fieldRef", new LinkedHashMap<>(Map.of("fieldPath",
        "metadata.name")))));
    env.add(pod);
    env.add(entry("name", "SSCMIC_NODE_ID", "value", "$(POD_NAME)"));
    c.put("env", env);
    List<Object> ports = new ArrayList<>();
    ports.add(entry("name", "sscmic-tunnel", "containerPort", options.tunnelPort()));
    ports.add(entry("name", "sscmic-admin", "containerPort", options.adminPort()));
    c.put("ports", ports);
    Map<String, Object> probe = new LinkedHashMap<>();
    probe.put("httpGet", entry("path", "/readyz", "port", "sscmic-admin"));
    probe.put("periodSeconds", 5);
    c.put("readinessProbe", probe);
    // IP_TRANSPARENT on the interception listener needs CAP_NET_ADMIN.
    c.put("securityContext", securityContext(List.of("NET_ADMIN")));
    List<Object> mounts = configMount();
    mounts.add(entry("name", TMP_VOLUME, "mountPath", "/tmp"));
    if (options.secret() != null) {
      Map<String, Object> m = entry("name", SECRET_VOLUME, "mountPath", SECRET_DIR);
      m.put("readOnly", true);
      mounts.add(m);
    }
    c.put("volumeMounts", mounts);
    return c;
  }

  /** Root with one capability: the container runtime gives added capabilities to root only. */
  private static Map<String, Object> securityContext(List<String> add) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("runAsUser", 0);
    s.put("runAsNonRoot", false);
    s.put("allowPrivilegeEscalation", false);
    s.put("readOnlyRootFilesystem", true);
    Map<String, Object> caps = new LinkedHashMap<>();
    caps.put("drop", new ArrayList<>(List.of("ALL")));
    caps.put("add", new ArrayList<>(add));
    s.put("capabilities", caps);
    return s;
  }

  private static List<Object> configMount() {
    List<Object> mounts = new ArrayList<>();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", CONFIG_VOLUME);
    m.put("mountPath", "/etc/sscmic");
    m.put("readOnly", true);
    mounts.add(m);
    return mounts;
  }

  /** Two keys in this order (Map.of has none: the output would change from run to run). */
  private static Map<String, Object> entry(String k1, Object v1, String k2, Object v2) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }

  /** The map at {@code key}, or an empty one that is not attached (reading only). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> peek(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    return v instanceof Map ? (Map<String, Object>) v : new LinkedHashMap<>();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    if (v instanceof Map) {
      return (Map<String, Object>) v;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    parent.put(key, m);
    return m;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    if (v instanceof List) {
      return (List<Object>) v;
    }
    List<Object> l = new ArrayList<>();
    parent.put(key, l);
    return l;
  }
}
