package io.sscmic.gateway.cli;

import java.io.PrintStream;

/** Runs a command line in-process for tests outside this package, printing to the test's output. */
public final class MainAccess {
  private MainAccess() {
  }

  public static int run(String... args) {
    return Main.run(args, new PrintStream(System.out, true), new PrintStream(System.err, true));
  }
}
