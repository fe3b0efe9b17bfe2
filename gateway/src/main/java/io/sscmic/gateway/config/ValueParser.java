package io.sscmic.gateway.config;

/**
 * Turns the raw value of one config key (a YAML scalar, or an environment variable's text) into
 * its typed value, or fails with a {@link ConfigException} naming the key. The factories for the
 * kinds of value the config has (duration, address, whole number in a range, choice, path...)
 * are in {@link ValueParsers}.
 */
@FunctionalInterface
public interface ValueParser<T> {
  /**
   * @param key the full key, for the error message
   * @param raw the value as read, never null
   * @return the typed value, or null when the value is blank and so counts as not set
   */
  T parse(String key, Object raw);
}
