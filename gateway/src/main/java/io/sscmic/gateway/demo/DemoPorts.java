package io.sscmic.gateway.demo;

/**
 * The demo's loopback ports, all at fixed offsets from one base so that a second demo, or a test
 * beside a running demo, can move them all at once ({@code sscmic demo --port-base 20000}). The
 * default base 7000 gives the ports the README documents.
 */
record DemoPorts(int base) {
  static final int DEFAULT_BASE = 7000;
  /** The highest offset (the authority's admin port) must stay a valid port. */
  private static final int SPAN = 8002;

  DemoPorts {
    if (base < 1024 || base + SPAN > 65535) {
      throw new IllegalArgumentException("--port-base must be between 1024 and " + (65535 - SPAN) + ", got " + base);
    }
  }

  int toEcho() {
    return base + 1;
  }

  int toWeb() {
    return base + 2;
  }

  int httpListener() {
    return base + 80;
  }

  int alphaTunnel() {
    return base + 101;
  }

  int betaTunnel() {
    return base + 102;
  }

  int webBackend() {
    return base + 201;
  }

  int echoBackend() {
    return base + 202;
  }

  int authority() {
    return base + 443;
  }

  int alphaAdmin() {
    return base + 8000;
  }

  int betaAdmin() {
    return base + 8001;
  }

  int authorityAdmin() {
    return base + SPAN;
  }

  /** Every port, for the message when one is taken. */
  String describe() {
    return toEcho() + "-" + toWeb() + ", " + httpListener() + ", " + alphaTunnel() + "-" + betaTunnel() + ", "
        + webBackend() + "-" + echoBackend() + ", " + authority() + ", " + alphaAdmin() + "-" + authorityAdmin();
  }
}
