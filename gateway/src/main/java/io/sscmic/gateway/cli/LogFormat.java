package io.sscmic.gateway.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per event: time, level, logger, message. Never prints key material (nothing logs it). */
final class LogFormat extends Formatter {
  static void install(Level level) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    ConsoleHandler handler = new ConsoleHandler();
    handler.setFormatter(new LogFormat());
    handler.setLevel(level);
    root.addHandler(handler);
    root.setLevel(level);
    // Netty and Vert.x internals stay at WARNING unless asked.
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
  }

  @Override
  public String format(LogRecord r) {
    String name = r.getLoggerName() == null ? "" : r.getLoggerName();
    int dot = name.lastIndexOf('.');
    StringBuilder sb = new StringBuilder(160)
        .append(r.getInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).append(' ')
        .append(r.getLevel().getName()).append(' ')
        .append(dot >= 0 ? name.substring(dot + 1) : name).append(": ")
        .append(formatMessage(r));
    if (r.getThrown() != null) {
      sb.append(" (").append(r.getThrown()).append(')');
    }
    return sb.append(System.lineSeparator()).toString();
  }
}
