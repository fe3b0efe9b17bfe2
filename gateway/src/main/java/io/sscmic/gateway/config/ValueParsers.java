package io.sscmic.gateway.config;

import io.sscmic.admin.ui.PasswordHash;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kinds of config value, each with the error message users see for a bad one. Texts are
 * trimmed and a blank text counts as not set, except for durations and times, which are parsed
 * as given.
 */
public final class ValueParsers {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  /** Node ids and service names. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private ValueParsers() {
  }

  /** Any single value, trimmed. */
  public static ValueParser<String> text() {
    return ValueParsers::single;
  }

  /** A file system path. */
  public static ValueParser<Path> path() {
    return (key, raw) -> {
      String s = single(key, raw);
      return s == null ? null : Path.of(s);
    };
  }

  /** A text matching {@code pattern}; anything else fails with {@code problem}. */
  public static ValueParser<String> matching(Pattern pattern, String problem) {
    return (key, raw) -> {
      String s = single(key, raw);
      if (s != null && !pattern.matcher(s).matches()) {
        throw new ConfigException(key, problem);
      }
      return s;
    };
  }

  /** A URL path: starts with '/'. */
  public static ValueParser<String> urlPath() {
    return (key, raw) -> {
      String s = single(key, raw);
      if (s != null && !s.startsWith("/")) {
        throw new ConfigException(key, "must start with '/', got '" + s + "'");
      }
      return s;
    };
  }

  /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT30S}. */
  public static ValueParser<Duration> duration() {
    return (key, raw) -> duration(key, raw);
  }

  /** A duration of at least {@code min}; shorter fails with {@code problem}. */
  public static ValueParser<Duration> durationAtLeast(Duration min, String problem) {
    return (key, raw) -> {
      Duration d = duration(key, raw);
      if (d.compareTo(min) < 0) {
        throw new ConfigException(key, problem);
      }
      return d;
    };
  }

  /** An ISO-8601 UTC time (YAML may already have made it a date). */
  public static ValueParser<Instant> instant() {
    return (key, v) -> {
      if (v instanceof Instant) {
        return (Instant) v;
      }
      if (v instanceof Date) {
        return ((Date) v).toInstant();
      }
      try {
        return Instant.parse(String.valueOf(v).trim());
      } catch (DateTimeParseException e) {
        throw new ConfigException(key, "expected an ISO-8601 UTC time such as 2026-01-01T00:00:00Z, got '" + v + "'");
      }
    };
  }

  /** {@code host:port}, IPv6 hosts in brackets. */
  public static ValueParser<SocketAddress> address() {
    return (key, raw) -> {
      String s = single(key, raw);
      return s == null ? null : address(s, key);
    };
  }

  /** {@code host:port} as written, not trimmed (the values of a map of names). */
  public static ValueParser<SocketAddress> addressAsWritten() {
    return (key, raw) -> address(String.valueOf(raw), key);
  }

  /** {@code host:port}, or {@code none} (empty): switched off. */
  public static ValueParser<Optional<SocketAddress>> addressOrNone() {
    return (key, raw) -> {
      String s = single(key, raw);
      return s == null ? null : s.equalsIgnoreCase("none") ? Optional.empty() : Optional.of(address(s, key));
    };
  }

  /** A whole number from 1 to {@code max}. */
  public static ValueParser<Integer> count(int max) {
    return (key, raw) -> {
      String v = single(key, raw);
      if (v == null) {
        return null;
      }
      int n;
      try {
        n = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        n = 0;
      }
      if (n < 1) {
        throw new ConfigException(key, "expected a whole number of at least 1, got '" + v + "'");
      }
      if (n > max) {
        throw new ConfigException(key, "expected a number from 1 to " + max + ", got " + n);
      }
      return n;
    };
  }

  /** A whole number from 1 to {@code max}, or {@code auto}: {@code auto}. */
  public static ValueParser<Integer> countOrAuto(int max, int auto) {
    ValueParser<Integer> count = count(max);
    return (key, raw) -> "auto".equals(raw) ? Integer.valueOf(auto) : count.parse(key, raw);
  }

  /** A whole number of at least 1. */
  public static ValueParser<Integer> positive() {
    return count(Integer.MAX_VALUE);
  }

  /** {@code true} or {@code false}, as a YAML boolean or (from the environment) as text. */
  public static ValueParser<Boolean> bool() {
    return (key, raw) -> {
      if (raw instanceof Boolean) {
        return (Boolean) raw;
      }
      if ("true".equals(raw) || "false".equals(raw)) {
        return Boolean.parseBoolean((String) raw);
      }
      throw new ConfigException(key, "expected true or false");
    };
  }

  /** One of the texts in {@code choices} (in the order the error message names them). */
  public static <T> ValueParser<T> choice(Map<String, T> choices, String problem) {
    return (key, raw) -> {
      String s = single(key, raw);
      if (s == null) {
        return null;
      }
      T t = choices.get(s);
      if (t == null) {
        throw new ConfigException(key, problem + ", got '" + s + "'");
      }
      return t;
    };
  }

  /** An enum constant, written in any case with '-' for '_' ({@code bouncy-castle}). */
  public static <E extends Enum<E>> ValueParser<E> enumNamed(Class<E> type, String problem) {
    return (key, raw) -> {
      String s = single(key, raw);
      if (s == null) {
        return null;
      }
      try {
        return Enum.valueOf(type, s.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, problem + ", got '" + s + "'");
      }
    };
  }

  /** A text turned into a value by {@code parse}, whose IllegalArgumentException message is the problem. */
  public static <T> ValueParser<T> parsedBy(Function<String, T> parse) {
    return (key, raw) -> {
      String s = single(key, raw);
      if (s == null) {
        return null;
      }
      try {
        return parse.apply(s);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, e.getMessage());
      }
    };
  }

  /** An {@code https://host[:port]} URL. */
  public static ValueParser<URI> httpsUrl() {
    return (key, raw) -> {
      String url = single(key, raw);
      if (url == null) {
        return null;
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new ConfigException(key, "not a URL: '" + url + "'");
      }
      if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException(key, "expected https://host:port, got '" + url + "'");
      }
      return uri;
    };
  }

  /**
   * An OTLP/HTTP traces URL, {@code http} or {@code https}; a bare {@code http://host:4318} gets the
   * standard path {@code /v1/traces} (what {@code OTEL_EXPORTER_OTLP_ENDPOINT} means).
   */
  public static ValueParser<URI> otlpUrl() {
    return (key, raw) -> {
      String url = single(key, raw);
      if (url == null) {
        return null;
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new ConfigException(key, "not a URL: '" + url + "'");
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException(key, "expected http(s)://host:port[/v1/traces], got '" + url + "'");
      }
      String path = uri.getPath();
      return path == null || path.isEmpty() || "/".equals(path) ? uri.resolve("/v1/traces") : uri;
    };
  }

  /** A list of names ({@code [orders, billing]}); {@code []} or nothing: none. */
  public static ValueParser<java.util.Set<String>> names() {
    return (key, raw) -> {
      List<?> items = raw instanceof io.vertx.core.json.JsonArray a ? a.getList()
          : raw == null || String.valueOf(raw).isBlank() || String.valueOf(raw).trim().equals("[]") ? List.of()
          : List.of(String.valueOf(raw).replace("[", "").replace("]", "").split(","));
      java.util.Set<String> names = new java.util.LinkedHashSet<>();
      for (Object o : items) {
        String name = String.valueOf(o).trim();
        if (!NAME.matcher(name).matches()) {
          throw new ConfigException(key, "expected a list of service names, e.g. [orders]; got '" + o + "'");
        }
        names.add(name);
      }
      return names;
    };
  }

  /** A fraction from 0 to 1 ({@code 0.01}, {@code 1}, {@code 0}). */
  public static ValueParser<Double> ratio() {
    return (key, raw) -> {
      String text = single(key, raw);
      if (text == null) {
        return null;
      }
      double d;
      try {
        d = Double.parseDouble(text.trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "expected a number from 0 to 1, got '" + text + "'");
      }
      if (!(d >= 0 && d <= 1)) {
        throw new ConfigException(key, "expected a number from 0 to 1, got '" + text + "'");
      }
      return d;
    };
  }

  /** A dashboard password hash from {@code sscmic admin-password}: checked so a typo fails at start. */
  public static ValueParser<String> passwordHash() {
    return parsedBy(hash -> {
      PasswordHash.parse(hash);
      return hash;
    });
  }

  static String single(String key, Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof JsonObject || v instanceof JsonArray) {
      throw new ConfigException(key, "expected a single value");
    }
    String s = String.valueOf(v).trim();
    return s.isEmpty() ? null : s;
  }

  static Duration duration(String key, Object v) {
    String s = String.valueOf(v).trim();
    Matcher m = DURATION.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          return Duration.ofMillis(n);
        case "s":
          return Duration.ofSeconds(n);
        case "m":
          return Duration.ofMinutes(n);
        case "h":
          return Duration.ofHours(n);
        default:
          return Duration.ofDays(n);
      }
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw new ConfigException(key, "expected a duration such as 30s, 500ms or 5m, got '" + s + "'");
    }
  }

  static SocketAddress address(String text, String key) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new ConfigException(key, "expected host:port, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "port is not a number in '" + text + "'");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(key, "port " + port + " out of range");
    }
    return SocketAddress.inetSocketAddress(port, host);
  }
}
