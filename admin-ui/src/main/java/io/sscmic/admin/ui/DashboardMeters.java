package io.sscmic.admin.ui;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The admin logins' meters: refused attempts by reason, so an operator can alert on password guessing. */
final class DashboardMeters {
  static final String LOGIN_FAILURES = "sscmic.admin.login.failures";

  final Counter wrongPassword;
  final Counter throttled;
  final Counter logins;

  DashboardMeters(MeterRegistry registry, String node) {
    wrongPassword = Counter.builder(LOGIN_FAILURES).description("Dashboard logins refused, by reason")
        .tag("node", node).tag("reason", "wrong_password").register(registry);
    throttled = Counter.builder(LOGIN_FAILURES).description("Dashboard logins refused, by reason")
        .tag("node", node).tag("reason", "rate_limited").register(registry);
    logins = Counter.builder("sscmic.admin.logins").description("Successful admin logins (dashboard and /status), verified by a password check")
        .tag("node", node).register(registry);
  }
}
