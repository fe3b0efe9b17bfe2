package io.sscmic.gateway.config;

/** A configuration error; the message names the offending key and says what is expected. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super("config key '" + key + "': " + problem);
  }
}
