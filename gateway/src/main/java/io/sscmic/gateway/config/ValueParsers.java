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
import java.util.Set;
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
    return fromText((key, s) -> Path.of(s));
  }

  /** A text matching {@code pattern}; anything else fails with {@code problem}. */
  public static ValueParser<String> matching(Pattern pattern, String problem) {
    return fromText((key, s) -> {
      require(pattern.matcher(s).matches(), key, problem);
      return s;
    });
  }

  /** A URL path: starts with '/'. */
  public static ValueParser<String> urlPath() {
    return fromText((key, s) -> {
      require(s.startsWith("/"), key, got("must start with '/'", s));
      return s;
    });
  }

  /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT30S}. */
  public static ValueParser<Duration> duration() {
    return (key, raw) -> duration(key, raw);
  }

  /** A duration of at least {@code min}; shorter fails with {@code problem}. */
  public static ValueParser<Duration> durationAtLeast(Duration min, String problem) {
    return (key, raw) -> {
      Duration d = duration(key, raw);
      require(d.compareTo(min) >= 0, key, problem);
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
      return attempt(key, got("expected an ISO-8601 UTC time such as 2026-01-01T00:00:00Z", v),
          DateTimeParseException.class, () -> Instant.parse(String.valueOf(v).trim()));
    };
  }

  /** {@code host:port}, IPv6 hosts in brackets. */
  public static ValueParser<SocketAddress> address() {
    return fromText((key, s) -> address(s, key));
  }

  /** {@code host:port} as written, not trimmed (the values of a map of names). */
  public static ValueParser<SocketAddress> addressAsWritten() {
    return (key, raw) -> address(String.valueOf(raw), key);
  }

  /** {@code host:port}, or {@code none} (empty): switched off. */
  public static ValueParser<Optional<SocketAddress>> addressOrNone() {
    return fromText((key, s) -> s.equalsIgnoreCase("none") ? Optional.empty() : Optional.of(address(s, key)));
  }

  /** A whole number from 1 to {@code max}. */
  public static ValueParser<Integer> count(int max) {
    return fromText((key, v) -> {
      String notAtLeastOne = got("expected a whole number of at least 1", v);
      int n = attempt(key, notAtLeastOne, NumberFormatException.class, () -> Integer.parseInt(v));
      require(n >= 1, key, notAtLeastOne);
      require(n <= max, key, "expected a number from 1 to " + max + ", got " + n);
      return n;
    });
  }

  /** A whole number from 1 to {@code max}, or {@code auto}: {@code auto}. */
  public static ValueParser<Integer> countOrAuto(int max, int auto) {
    ValueParser<Integer> count = count(max);
    return (key, raw) -> "auto".equals(raw) ? Integer.valueOf(auto) : count.parse(key, raw);
  }

  /**
   * A size in bytes from {@code min} to {@code max}: a whole number, optionally with {@code KiB} or
   * {@code MiB} ({@code 256KiB}, {@code 1MiB}, {@code 65536}).
   */
  public static ValueParser<Integer> byteSize(int min, int max) {
    return fromText((key, v) -> {
      String problem = got("expected a size such as 256KiB, 1MiB or a number of bytes", v);
      String t = v.trim();
      int unit = 1;
      if (t.endsWith("KiB")) {
        unit = 1024;
        t = t.substring(0, t.length() - 3).trim();
      } else if (t.endsWith("MiB")) {
        unit = 1024 * 1024;
        t = t.substring(0, t.length() - 3).trim();
      }
      String digits = t;
      long n = attempt(key, problem, NumberFormatException.class, () -> Long.parseLong(digits)) * unit;
      require(n >= min && n <= max, key, "expected a size from " + min + " to " + max + " bytes, got " + n);
      return (int) n;
    });
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
    return fromText((key, s) -> {
      T t = choices.get(s);
      require(t != null, key, got(problem, s));
      return t;
    });
  }

  /** An enum constant, written in any case with '-' for '_' ({@code bouncy-castle}). */
  public static <E extends Enum<E>> ValueParser<E> enumNamed(Class<E> type, String problem) {
    return fromText((key, s) -> attempt(key, got(problem, s), IllegalArgumentException.class,
        () -> Enum.valueOf(type, s.toUpperCase(java.util.Locale.ROOT).replace('-', '_'))));
  }

  /** A text turned into a value by {@code parse}, whose IllegalArgumentException message is the problem. */
  public static <T> ValueParser<T> parsedBy(Function<String, T> parse) {
    return fromText((key, s) -> {
      try {
        return parse.apply(s);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, e.getMessage());
      }
    });
  }

  /** An {@code https://host[:port]} URL. */
  public static ValueParser<URI> httpsUrl() {
    return fromText((key, url) -> url(key, url, Set.of("https"), "expected https://host:port"));
  }

  /**
   * One or more {@code https://host:port} URLs: comma-separated ({@code https://a:8443,https://b:8443},
   * what an environment variable holds) or a YAML list. Several name the replicas of one
   * authority, tried in order (issue 17 item 4).
   */
  public static ValueParser<List<URI>> httpsUrls() {
    return (key, raw) -> {
      List<?> items = raw instanceof JsonArray a ? a.getList()
          : raw == null ? List.of() : List.of(String.valueOf(raw).split(","));
      List<URI> urls = new java.util.ArrayList<>();
      for (Object o : items) {
        String s = single(key, o);
        require(s != null, key, got("expected https://host:port[,https://host2:port...]", raw));
        URI u = url(key, s, Set.of("https"), "expected https://host:port[,https://host2:port...]");
        require(!urls.contains(u), key, "lists " + u + " twice");
        urls.add(u);
      }
      return urls.isEmpty() ? null : List.copyOf(urls);
    };
  }

  /**
   * An OTLP/HTTP traces URL, {@code http} or {@code https}; a bare {@code http://host:4318} gets the
   * standard path {@code /v1/traces} (what {@code OTEL_EXPORTER_OTLP_ENDPOINT} means).
   */
  public static ValueParser<URI> otlpUrl() {
    return fromText((key, url) -> {
      URI uri = url(key, url, Set.of("http", "https"), "expected http(s)://host:port[/v1/traces]");
      String path = uri.getPath();
      return path == null || path.isEmpty() || "/".equals(path) ? uri.resolve("/v1/traces") : uri;
    });
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
        require(NAME.matcher(name).matches(), key, "expected a list of service names, e.g. [orders]; got '" + o + "'");
        names.add(name);
      }
      return names;
    };
  }

  /** A fraction from 0 to 1 ({@code 0.01}, {@code 1}, {@code 0}). */
  public static ValueParser<Double> ratio() {
    return fromText((key, text) -> {
      String problem = got("expected a number from 0 to 1", text);
      double d = attempt(key, problem, NumberFormatException.class, () -> Double.parseDouble(text));
      require(d >= 0 && d <= 1, key, problem); // NaN too
      return d;
    });
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
    return attempt(key, got("expected a duration such as 30s, 500ms or 5m", s), DateTimeParseException.class,
        () -> Duration.parse(s));
  }

  static SocketAddress address(String text, String key) {
    int colon = text.lastIndexOf(':');
    require(colon > 0 && colon != text.length() - 1, key, got("expected host:port", text));
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = attempt(key, "port is not a number in '" + text + "'", NumberFormatException.class,
        () -> Integer.parseInt(text.substring(colon + 1)));
    require(port >= 0 && port <= 65535, key, "port " + port + " out of range");
    return SocketAddress.inetSocketAddress(port, host);
  }

  /** An {@code http}-like URL with one of {@code schemes} and a host; anything else fails with {@code expected}. */
  private static URI url(String key, String url, Set<String> schemes, String expected) {
    URI uri = attempt(key, "not a URL: '" + url + "'", URISyntaxException.class, () -> new URI(url));
    require(uri.getScheme() != null && schemes.contains(uri.getScheme()) && uri.getHost() != null, key,
        got(expected, url));
    return uri;
  }

  /** How a text value is parsed once trimmed and known not blank. */
  @FunctionalInterface
  private interface TextParser<T> {
    T parse(String key, String text);
  }

  /** A parser of single text values: a blank one is not set (null) and never reaches {@code parse}. */
  private static <T> ValueParser<T> fromText(TextParser<T> parse) {
    return (key, raw) -> {
      String s = single(key, raw);
      return s == null ? null : parse.parse(key, s);
    };
  }

  /** Fails for {@code key} with {@code problem} unless {@code ok}. */
  private static void require(boolean ok, String key, String problem) {
    if (!ok) {
      throw new ConfigException(key, problem);
    }
  }

  /** How most problems name the bad value: {@code problem, got 'value'}. */
  private static String got(String problem, Object value) {
    return problem + ", got '" + value + "'";
  }

  /** A step that may throw (a JDK parser, some with a checked exception). */
  @FunctionalInterface
  private interface Attempt<T> {
    T get() throws Exception;
  }

  /** The result of {@code attempt}; a {@code failure} thrown by it fails for {@code key} with {@code problem}. */
  private static <T> T attempt(String key, String problem, Class<? extends Exception> failure, Attempt<T> attempt) {
    try {
      return attempt.get();
    } catch (Exception e) {
      if (failure.isInstance(e)) {
        throw new ConfigException(key, problem);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e); // none of the steps here throws another checked exception
    }
  }
}
