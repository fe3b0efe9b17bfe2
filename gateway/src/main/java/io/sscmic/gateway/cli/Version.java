package io.sscmic.gateway.cli;

/** The build's version, from the jar manifest. */
final class Version {
  private Version() {
  }

  static String get() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
