package io.sscmic.gateway.mux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@link StreamPolicy} from a small line-oriented file:
 * <pre>
 * # comments and blank lines are ignored
 * group frontend web-1 web-2        # a named set of node ids
 * allow orders  @frontend batch-7   # service 'orders': members of frontend, and node batch-7
 * allow metrics *                   # service 'metrics': every member
 * allow *       admin-1             # every service not named on its own line: node admin-1
 * deny  orders  web-2               # web-2 never reaches orders, whatever the allow lines say
 * deny  *       old-batch           # old-batch reaches no service
 * </pre>
 * A service named on an {@code allow} line is reachable only by the callers listed on its lines
 * (several lines for one service add up); a service on no line falls back to the {@code allow *}
 * lines; with neither, the open is refused. So a file with the single line {@code allow * *} is
 * the default policy ({@link StreamPolicy#ALLOW_MEMBERS}). A {@code deny} line (for a service or
 * {@code *}, callers as on {@code allow} lines) wins over every {@code allow}: it is how the
 * authority's policy ({@code sscmic policy deny}) shuts one caller out of a service every member
 * may otherwise reach. Unknown groups and duplicate group
 * names are errors at load time, with the line number, never a silent refusal at run time.
 * Immutable once parsed: reloading builds a new instance.
 */
public final class FileStreamPolicy implements StreamPolicy {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern WS = Pattern.compile("\\s+");

  private final Map<String, Callers> byService;
  private final Callers fallback;
  private final Map<String, Callers> deniedByService;
  private final Callers deniedEverywhere;

  private FileStreamPolicy(Map<String, Callers> byService, Callers fallback, Map<String, Callers> deniedByService,
                           Callers deniedEverywhere) {
    this.byService = byService;
    this.fallback = fallback;
    this.deniedByService = deniedByService;
    this.deniedEverywhere = deniedEverywhere;
  }

  /** Reads and parses a policy file (blocking: call it off the event loop). */
  public static FileStreamPolicy load(Path file) throws IOException, PolicyFormatException {
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
  }

  public static FileStreamPolicy parse(List<String> lines, String source) throws PolicyFormatException {
    Map<String, Set<String>> groups = new HashMap<>();
    Map<String, Callers> services = new LinkedHashMap<>();
    Callers fallback = Callers.NONE;
    Map<String, Callers> denied = new LinkedHashMap<>();
    Callers deniedEverywhere = Callers.NONE;
    int n = 0;
    for (String raw : lines) {
      n++;
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = WS.split(line);
      switch (words[0]) {
        case "group" -> {
          if (words.length < 3) {
            throw new PolicyFormatException(source, n, "group needs a name and at least one node id");
          }
          String name = name(words[1], source, n);
          if (groups.containsKey(name)) {
            throw new PolicyFormatException(source, n, "group '" + name + "' defined twice");
          }
          Set<String> members = new HashSet<>();
          for (int i = 2; i < words.length; i++) {
            members.add(name(words[i], source, n));
          }
          groups.put(name, Set.copyOf(members));
        }
        case "allow", "deny" -> {
          boolean allow = words[0].equals("allow");
          if (words.length < 3) {
            throw new PolicyFormatException(source, n, words[0] + " needs a service (or *) and at least one caller");
          }
          boolean anyCaller = false;
          Set<String> nodes = new HashSet<>();
          for (int i = 2; i < words.length; i++) {
            String w = words[i];
            if (w.equals("*")) {
              anyCaller = true;
            } else if (w.startsWith("@")) {
              Set<String> members = groups.get(w.substring(1));
              if (members == null) {
                throw new PolicyFormatException(source, n, "unknown group '" + w.substring(1)
                    + "' (define it on a group line above)");
              }
              nodes.addAll(members);
            } else {
              nodes.add(name(w, source, n));
            }
          }
          Callers callers = new Callers(anyCaller, Set.copyOf(nodes));
          if (!allow && words[1].equals("*")) {
            deniedEverywhere = deniedEverywhere.plus(callers);
          } else if (!allow) {
            denied.merge(name(words[1], source, n), callers, Callers::plus);
          } else if (words[1].equals("*")) {
            fallback = fallback.plus(callers);
          } else {
            services.merge(name(words[1], source, n), callers, Callers::plus);
          }
        }
        default -> throw new PolicyFormatException(source, n, "unknown keyword '" + words[0]
            + "' (expected group, allow or deny)");
      }
    }
    return new FileStreamPolicy(Map.copyOf(services), fallback, Map.copyOf(denied), deniedEverywhere);
  }

  private static String name(String word, String source, int line) throws PolicyFormatException {
    if (!NAME.matcher(word).matches()) {
      throw new PolicyFormatException(source, line, "not a valid node, group or service name: '" + word + "'");
    }
    return word;
  }

  @Override
  public Decision check(String callerNodeId, String service) {
    if (deniedEverywhere.admits(callerNodeId)
        || deniedByService.getOrDefault(service, Callers.NONE).admits(callerNodeId)) {
      return Decision.refuse("a deny line shuts node " + callerNodeId + " out of " + service);
    }
    Callers callers = byService.get(service);
    if (callers != null) {
      return callers.admits(callerNodeId) ? Decision.ALLOW
          : Decision.refuse("node " + callerNodeId + " is not allowed to reach " + service);
    }
    return fallback.admits(callerNodeId) ? Decision.ALLOW
        : Decision.refuse("no policy line lets node " + callerNodeId + " reach " + service);
  }

  private record Callers(boolean any, Set<String> nodes) {
    static final Callers NONE = new Callers(false, Set.of());

    boolean admits(String node) {
      return any || nodes.contains(node);
    }

    Callers plus(Callers other) {
      Set<String> all = new HashSet<>(nodes);
      all.addAll(other.nodes);
      return new Callers(any || other.any, Set.copyOf(all));
    }
  }

  /** A policy file that does not parse; names the file and line. */
  public static final class PolicyFormatException extends Exception {
    public PolicyFormatException(String source, int line, String message) {
      super(source + ":" + line + ": " + message);
    }
  }
}
