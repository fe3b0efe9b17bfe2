package io.sscmic.keysyn;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The messages a class logs while open, for tests that check what an operator would read. */
public final class LogLines extends Handler implements AutoCloseable {
  private final Logger logger;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  public LogLines(Class<?> source) {
    logger = Logger.getLogger(source.getName());
    logger.addHandler(this);
  }

  public boolean any(Predicate<String> test) {
    return lines.stream().anyMatch(test);
  }

  @Override
  public void publish(LogRecord r) {
    lines.add(r.getMessage());
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
  }

  @Override
  public String toString() {
    return lines.toString();
  }
}
