package io.sscmic.gateway.node;

import io.vertx.core.json.JsonObject;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Talks to a dashboard as its page does: a CSRF token from /ui/csrf, a JSON login, the session cookie kept. */
public final class DashboardClient {
  private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
  private final String base;

  public DashboardClient(int adminPort) {
    this.base = "http://127.0.0.1:" + adminPort + "/ui";
  }

  public HttpResponse<String> login(String password) throws Exception {
    String token = new JsonObject(get("/csrf").body()).getString("token");
    return http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
        .header("Content-Type", "application/json").header("X-XSRF-TOKEN", token)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("password", password).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** @param path below /ui, e.g. "/api/status" */
  public HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
