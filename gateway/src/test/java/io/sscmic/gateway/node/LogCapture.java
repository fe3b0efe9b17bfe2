package io.sscmic.gateway.node;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the messages logged under a logger name while open: what an operator would read. */
final class LogCapture extends Handler implements AutoCloseable {
  private final Logger logger;
  private final List<String> messages = new ArrayList<>();

  LogCapture(String loggerName) {
    this.logger = Logger.getLogger(loggerName);
    logger.addHandler(this);
  }

  @Override
  public synchronized void publish(LogRecord r) {
    if (!isLoggable(r)) { // setLevel(INFO) keeps what an operator sees with the default logging
      return;
    }
    messages.add(r.getMessage());
  }

  synchronized boolean anyContains(String... parts) {
    return messages.stream().anyMatch(m -> java.util.Arrays.stream(parts).allMatch(m::contains));
  }

  /** How many messages contain every one of {@code parts}. */
  synchronized long count(String... parts) {
    return messages.stream().filter(m -> java.util.Arrays.stream(parts).allMatch(m::contains)).count();
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
