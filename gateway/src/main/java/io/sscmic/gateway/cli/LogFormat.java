package io.sscmic.gateway.cli;

import java.time.temporal.ChronoUnit;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event: {@code time level logger: message}, or one JSON object per line for log
 * shippers ({@code --log-json}). Nothing in the gateway logs key material; a test checks a full
 * run's output for key bytes.
 */
public final class LogFormat extends Formatter {
  private final boolean json;

  public LogFormat(boolean json) {
    this.json = json;
  }

  static void install(Level level, boolean json) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    ConsoleHandler handler = new ConsoleHandler();
    handler.setFormatter(new LogFormat(json));
    handler.setLevel(level);
    // vertx-micrometer-metrics registers its event-bus handler gauge twice at every start; Micrometer
    // then warns once about a gauge we neither own nor can fix. Every other record passes.
    handler.setFilter(r -> !(String.valueOf(r.getMessage()).contains("already registered")
        && String.valueOf(r.getMessage()).contains("vertx.eventbus.handlers")));
    root.addHandler(handler);
    root.setLevel(level);
    // Netty and Vert.x internals stay at WARNING unless asked.
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
  }

  @Override
  public String format(LogRecord r) {
    String name = r.getLoggerName() == null ? "" : r.getLoggerName();
    String logger = name.substring(name.lastIndexOf('.') + 1);
    String time = r.getInstant().truncatedTo(ChronoUnit.MILLIS).toString();
    String message = formatMessage(r);
    if (json) {
      // Hand-written: a JSON library that logs while it initialises would recurse into this handler.
      StringBuilder line = new StringBuilder(200).append("{\"ts\":");
      quote(line, time).append(",\"level\":");
      quote(line, r.getLevel().getName()).append(",\"logger\":");
      quote(line, logger).append(",\"msg\":");
      quote(line, message);
      if (r.getThrown() != null) {
        quote(line.append(",\"error\":"), r.getThrown().toString());
      }
      return line.append('}').append(System.lineSeparator()).toString();
    }
    StringBuilder sb = new StringBuilder(160).append(time).append(' ').append(r.getLevel().getName()).append(' ')
        .append(logger).append(": ").append(message);
    if (r.getThrown() != null) {
      sb.append(" (").append(r.getThrown()).append(')');
    }
    return sb.append(System.lineSeparator()).toString();
  }

  static StringBuilder quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }
}
