package io.sscmic.admin.ui;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * HTTP Basic with the dashboard password, for what an operator scripts with curl outside the
 * browser ({@code /status}): {@code curl -u admin:PASSWORD}. The user name is not checked (there is
 * one operator account). Attempts go through the same {@link LoginGate} as the dashboard's login.
 * Without valid credentials the answer is 401 with a {@code WWW-Authenticate} challenge and none of
 * the protected data.
 */
final class OperatorBasicAuth implements Handler<RoutingContext> {
  private final LoginGate gate;
  private final String realm;

  OperatorBasicAuth(LoginGate gate, String node) {
    this.gate = gate;
    this.realm = "Basic realm=\"sscmic admin " + node.replaceAll("[^A-Za-z0-9._-]", "_") + "\", charset=\"UTF-8\"";
  }

  @Override
  public void handle(RoutingContext rc) {
    String password = password(rc.request().getHeader("Authorization"));
    if (password == null || password.isEmpty()) {
      refuse(rc, 401, "log in: HTTP Basic with the dashboard password, e.g. curl -u admin:PASSWORD\n");
      return;
    }
    gate.check(rc.request().remoteAddress().hostAddress(), password).onComplete(ar -> {
      LoginGate.Verdict v = ar.succeeded() ? ar.result() : LoginGate.Verdict.WRONG_PASSWORD;
      switch (v) {
        case ACCEPTED -> rc.next();
        case BUSY -> {
          rc.response().putHeader("Retry-After", "1");
          refuse(rc, 429, "too many login attempts from your address are waiting; try again\n");
        }
        default -> refuse(rc, 401, "wrong password\n");
      }
    });
  }

  private void refuse(RoutingContext rc, int status, String message) {
    if (status == 401) {
      rc.response().putHeader("WWW-Authenticate", realm);
    }
    rc.response().setStatusCode(status).putHeader("content-type", "text/plain").putHeader("Cache-Control", "no-store")
        .end(message);
  }

  /** The password of a Basic {@code Authorization} header, or null when there is none or it is malformed. */
  static String password(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      return colon < 0 ? null : decoded.substring(colon + 1);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
