package io.sscmic.gateway.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * The headers a request and its response carry across the sidecar: hop-by-hop ones stay behind
 * (RFC 9110 7.6.1), and the hop is recorded (Via, X-Forwarded-For, X-Forwarded-Proto).
 */
final class ForwardedHeaders {
  private final String via;

  ForwardedHeaders(String node) {
    this.via = "1.1 sscmic-" + node;
  }

  String via() {
    return via;
  }

  /**
   * For the request to the peer. {@code Expect} stays behind too: the listener answers a
   * 100-continue itself (see {@link Forwarder}), so the service must not wait for a body the
   * client is already sending.
   */
  MultiMap request(HttpServerRequest req, Target target) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    HopByHop.copy(req.headers(), headers);
    headers.remove("expect");

    String te = req.getHeader("te");
    if (te != null && te.toLowerCase(java.util.Locale.ROOT).contains("trailers")) {
      // The one TE HTTP/2 allows, and how a gRPC client says it takes trailers; gRPC servers may insist on it.
      headers.set("te", "trailers");
    }
    if (traced()) {
      // Vert.x's tracer writes the trace context of the request to the peer itself (the caller's
      // trace, the sidecar's span as parent) and adds rather than replaces: the caller's copies
      // stay behind, or the service would get two (docs/OPERATIONS.md, "Tracing").
      headers.remove("traceparent");
      headers.remove("tracestate");
    }
    if (target.host() != null && !headers.contains("host")) {
      headers.set("host", req.authority() != null ? req.authority().toString() : target.host());
    }
    headers.add("via", via);
    String client = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    String xff = req.getHeader("x-forwarded-for");
    headers.set("x-forwarded-for", xff == null ? client : xff + ", " + client);
    if (!headers.contains("x-forwarded-proto")) {
      headers.set("x-forwarded-proto", "http");
    }
    return headers;
  }

  /** Whether this process runs a tracer (tracing.otlp-endpoint set): decided when Vert.x was created. */
  private static boolean traced() {
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    return context instanceof io.vertx.core.internal.ContextInternal c && c.tracer() != null;
  }

  /** For the response to the client. */
  void response(MultiMap fromPeer, MultiMap toClient) {
    HopByHop.copy(fromPeer, toClient);
    toClient.add("via", via);
  }
}
