package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** {@code sscmic inject} on workload YAML: what is added, where, and what is left alone. */
class KubernetesInjectorTest {
  private final KubernetesInjector injector = new KubernetesInjector(
      new KubernetesInjector.Options("orders-sscmic", "sscmic:0.1.0", 15000, 7443));
  private final List<KubernetesInjector.Outcome> outcomes = new ArrayList<>();

  static final String DEPLOYMENT = """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: orders
      spec:
        selector:
          matchLabels: {app: orders}
        template:
          metadata:
            labels: {app: orders}
          spec:
            containers:
              - name: app
                image: orders:1
            volumes:
              - name: data
                emptyDir: {}
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: orders
      spec:
        ports: [{port: 80}]
      """;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> at(Object o, String... path) {
    Object v = o;
    for (String p : path) {
      v = ((Map<String, Object>) v).get(p);
    }
    return (Map<String, Object>) v;
  }

  @Test
  @SuppressWarnings("unchecked")
  void aDeploymentGetsTheInitStepTheSidecarAndTheConfigAndTheServiceIsUntouched() {
    String out = injector.inject(DEPLOYMENT, outcomes);
    List<Object> docs = new ArrayList<>();
    new Yaml().loadAll(out).forEach(docs::add);
    assertEquals(2, docs.size());
    Map<String, Object> pod = at(docs.get(0), "spec", "template", "spec");
    List<Map<String, Object>> inits = (List<Map<String, Object>>) pod.get("initContainers");
    assertEquals("sscmic-intercept", inits.get(0).get("name"), "the rules are in place before anything else runs");
    assertEquals(List.of("intercept", "install", "--config", "/etc/sscmic/node.yaml"), inits.get(0).get("args"));
    assertEquals(List.of("NET_ADMIN"), at(inits.get(0), "securityContext", "capabilities").get("add"));
    assertEquals(List.of("ALL"), at(inits.get(0), "securityContext", "capabilities").get("drop"));
    assertEquals("sscmic", inits.get(1).get("name"));
    assertEquals("Always", inits.get(1).get("restartPolicy"), "a native sidecar: ready before the application");
    assertEquals("/readyz", at(inits.get(1), "readinessProbe", "httpGet").get("path"));
    List<Map<String, Object>> volumes = (List<Map<String, Object>>) pod.get("volumes");
    assertEquals(List.of("data", "sscmic-config", "sscmic-tmp"), volumes.stream().map(v -> v.get("name")).toList());
    assertEquals("orders-sscmic", at(volumes.get(1), "configMap").get("name"));
    assertEquals("true", at(docs.get(0), "spec", "template", "metadata", "annotations").get("sscmic.io/injected"));
    assertEquals(1, ((List<?>) pod.get("containers")).size(), "the application's containers are unchanged");
    assertEquals(2, outcomes.size());
    assertTrue(outcomes.get(0).what().startsWith("injected"), outcomes.toString());
    assertEquals("unchanged (no Pod template)", outcomes.get(1).what());
    assertEquals(iterable(DEPLOYMENT).get(1), docs.get(1), "the Service is written back as read");
  }

  @Test
  @SuppressWarnings("unchecked")
  void aSecretIsMountedReadOnlyInTheSidecarOnly() {
    String out = new KubernetesInjector(new KubernetesInjector.Options("orders-sscmic", "sscmic:0.1.0", 15000, 7443,
        "orders-seed")).inject(DEPLOYMENT, outcomes);
    Map<String, Object> pod = at(iterable(out).get(0), "spec", "template", "spec");
    List<Map<String, Object>> volumes = (List<Map<String, Object>>) pod.get("volumes");
    assertEquals(Map.of("secretName", "orders-seed", "defaultMode", 0440), volumes.get(3).get("secret"));
    List<Map<String, Object>> inits = (List<Map<String, Object>>) pod.get("initContainers");
    assertEquals(List.of(Map.of("name", "sscmic-config", "mountPath", "/etc/sscmic", "readOnly", true),
        Map.of("name", "sscmic-tmp", "mountPath", "/tmp"),
        Map.of("name", "sscmic-secret", "mountPath", "/etc/sscmic-secret", "readOnly", true)),
        inits.get(1).get("volumeMounts"));
    assertEquals(1, ((List<?>) inits.get(0).get("volumeMounts")).size(), "the init step reads the config only");
    assertTrue(outcomes.get(0).what().endsWith(", Secret orders-seed"), outcomes.toString());
  }

  private static List<Object> iterable(String yaml) {
    List<Object> l = new ArrayList<>();
    new Yaml().loadAll(yaml).forEach(l::add);
    return l;
  }

  @Test
  void injectingTwiceChangesNothingTheSecondTime() {
    String once = injector.inject(DEPLOYMENT, outcomes);
    outcomes.clear();
    String twice = injector.inject(once, outcomes);
    assertEquals(once, twice);
    assertEquals("already injected: unchanged", outcomes.get(0).what());
  }

  @Test
  void optedOutAndHostNetworkTemplatesAreLeftAloneAndSaySo() {
    String optOut = DEPLOYMENT.replace("labels: {app: orders}\n    spec:",
        "labels: {app: orders}\n      annotations: {sscmic.io/inject: \"false\"}\n    spec:");
    assertEquals(iterable(optOut), iterable(injector.inject(optOut, outcomes)));
    assertTrue(outcomes.get(0).what().startsWith("skipped (sscmic.io/inject"), outcomes.toString());
    outcomes.clear();
    String host = DEPLOYMENT.replace("      containers:", "      hostNetwork: true\n      containers:");
    assertEquals(iterable(host), iterable(injector.inject(host, outcomes)));
    assertTrue(outcomes.get(0).what().startsWith("skipped (hostNetwork"), outcomes.toString());
  }

  @Test
  void podsAndCronJobsAreInjectedWhereTheirPodSpecIs() {
    String pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: a}]\n";
    Object injected = iterable(injector.inject(pod, outcomes)).get(0);
    assertEquals(2, ((List<?>) at(injected, "spec").get("initContainers")).size());
    String cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
        + "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: a}]\n";
    Object c = iterable(injector.inject(cron, outcomes)).get(0);
    assertEquals(2, ((List<?>) at(c, "spec", "jobTemplate", "spec", "template", "spec").get("initContainers")).size());
  }
}
