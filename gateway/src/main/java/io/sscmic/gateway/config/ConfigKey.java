package io.sscmic.gateway.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One line of a config table (see {@link NodeKeys}): a YAML key and everything the code and the
 * docs need to know about it. A key name may hold placeholders: {@code NAME} for the entries of a
 * map ({@code services.NAME}) and {@code [i]} for the items of a list ({@code outbound[i].listen}).
 *
 * @param name the YAML key, its sections joined by '.'
 * @param parser what its values look like
 * @param dflt what an absent key means
 * @param env whether an environment variable ({@link #envName()}) may override it
 * @param reload whether a config reload applies a change of it, or refuses it until a restart
 * @param current reads its value back from a parsed node config (what a reload compares); null for
 *     keys outside the node's config
 * @param example an example value for the reference
 * @param description one line for the reference in docs/OPERATIONS.md
 */
public record ConfigKey<T>(String name, ValueParser<T> parser, Default dflt, Env env, Reload reload,
                           Function<NodeConfig, ?> current, String example, String description) {
  /** Whether {@code SSCMIC_...} may set the key. */
  public enum Env { OVERRIDE, FILE_ONLY }

  /**
   * What a config reload does with a changed value: applies it, refuses it until a restart, or
   * ignores it (a value used only at start, such as the enrollment token).
   */
  public enum Reload { APPLIED, RESTART, IGNORED }

  /**
   * What an absent (or blank) key means.
   *
   * @param text a default value, parsed as if the user had written it; or null
   * @param shown the default as the reference shows it
   * @param problem when the key is required: what the error says
   */
  public record Default(String text, String shown, String problem) {
    public static Default value(String text) {
      return new Default(text, "`" + text + "`", null);
    }

    /** No value (null), shown as {@code shown}: "none", "generated", "see below"... */
    public static Default none(String shown) {
      return new Default(null, shown, null);
    }

    public static Default required(String problem) {
      return new Default(null, "required", problem.isEmpty() ? "required" : "required: " + problem);
    }
  }

  /** {@code SSCMIC_} + the key upper-cased, '.' and '-' as '_'. */
  public static String envName(String key) {
    return "SSCMIC_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** The environment variable that overrides this key, or null. */
  public String envName() {
    return env == Env.OVERRIDE ? envName(name) : null;
  }

  /** The value of this key when {@code raw} (null when absent) is what the config says. */
  public T parse(Object raw) {
    return parse(name, raw);
  }

  /** As {@link #parse(Object)}, naming the key {@code fullName} (a placeholder filled in) in errors. */
  public T parse(String fullName, Object raw) {
    T value = raw == null ? null : parser.parse(fullName, raw);
    if (value != null) {
      return value;
    }
    if (dflt.problem() != null) {
      throw new ConfigException(fullName, dflt.problem());
    }
    return dflt.text() == null ? null : parser.parse(fullName, dflt.text());
  }

  /** The value of this key when the config does not set it. */
  public T defaultValue() {
    return dflt.text() == null ? null : parser.parse(name, dflt.text());
  }

  /** The key as a reload names it: up to its first placeholder ({@code http.routes[i].host}: {@code http.routes}). */
  public String reloadName() {
    String n = name;
    int list = n.indexOf("[i]");
    if (list >= 0) {
      n = n.substring(0, list);
    }
    int map = n.indexOf(".NAME");
    return map >= 0 ? n.substring(0, map) : n;
  }
}
