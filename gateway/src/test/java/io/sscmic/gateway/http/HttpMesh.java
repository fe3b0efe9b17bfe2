package io.sscmic.gateway.http;

import io.sscmic.gateway.inbound.TunnelLimits;
import io.sscmic.gateway.config.TunnelSection;
import io.sscmic.gateway.config.NodeSection;
import io.sscmic.gateway.config.KeysynSection;
import io.sscmic.gateway.config.AdminSection;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.config.NodeConfig;
import io.sscmic.gateway.config.SeedSource;
import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.node.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Sidecars with HTTP listeners and real HTTP backends on loopback, for the HTTP-mode tests. */
final class HttpMesh {
  static final byte[] SEED = "http mode test seed, at least thirty-two bytes".getBytes();

  private HttpMesh() {
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  /** A server sidecar exposing {@code service} at {@code backend}. */
  static Node server(Vertx vertx, String id, Instant genesis, Duration interval, String service, int backend)
      throws Exception {
    NodeConfig c = TestMesh.server(id, genesis, interval, SEED, Map.of(service, loopback(backend)));
    return await(Node.start(vertx, c, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
  }

  /** A client sidecar whose only job is its HTTP listener. */
  static Node client(Vertx vertx, String id, Instant genesis, Duration interval, HttpModeConfig http,
                     PrometheusMeterRegistry registry) throws Exception {
    return await(Node.start(vertx, TestMesh.httpClient(id, genesis, interval, SEED, http), registry));
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** Deterministic bytes: byte i is (i * 31 + 7) mod 251. */
  static byte byteAt(long i) {
    return (byte) ((i * 31 + 7) % 251);
  }

  /**
   * A backend: {@code /echo} streams the body back, {@code /bytes?n=N} streams N deterministic
   * bytes (chunked), {@code /slow?ms=N} answers after N ms, {@code /healthz} 200 or 503, {@code /headers} returns the request
   * headers it saw, anything else says hello. Every answer names the backend in x-backend.
   */
  static HttpServer backend(Vertx vertx, String name) throws Exception {
    return backend(vertx, name, new java.util.concurrent.atomic.AtomicBoolean());
  }

  /** {@code /slow} requests that reached any backend, for tests that act while requests are at the service. */
  static final java.util.concurrent.atomic.AtomicInteger SLOW_ARRIVED = new java.util.concurrent.atomic.AtomicInteger();

  /** @param sick while true, {@code /healthz} answers 503 */
  static HttpServer backend(Vertx vertx, String name, java.util.concurrent.atomic.AtomicBoolean sick) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      req.response().putHeader("x-backend", name);
      switch (req.path()) {
        case "/echo":
          req.response().setChunked(true);
          req.pipeTo(req.response());
          break;
        case "/bytes": {
          long n = Long.parseLong(req.getParam("n"));
          var resp = req.response().setChunked(true);
          long[] sent = {0};
          Runnable[] pump = new Runnable[1];
          pump[0] = () -> {
            while (sent[0] < n && !resp.writeQueueFull()) {
              int len = (int) Math.min(65536, n - sent[0]);
              byte[] chunk = new byte[len];
              for (int i = 0; i < len; i++) {
                chunk[i] = byteAt(sent[0] + i);
              }
              sent[0] += len;
              resp.write(Buffer.buffer(chunk));
            }
            if (sent[0] >= n) {
              resp.end();
            } else {
              resp.drainHandler(v -> pump[0].run());
            }
          };
          pump[0].run();
          break;
        }
        case "/healthz":
          req.response().setStatusCode(sick.get() ? 503 : 200)
              .end("health of " + name + "\n");
          break;
        case "/slow":
          SLOW_ARRIVED.incrementAndGet();
          vertx.setTimer(Long.parseLong(req.getParam("ms")), t -> req.response().end("slow\n"));
          break;
        case "/headers": {
          StringBuilder sb = new StringBuilder();
          req.headers().forEach((k, v) -> sb.append(k.toLowerCase()).append(": ").append(v).append('\n'));
          req.response().end(sb.toString());
          break;
        }
        default:
          req.response().end("hello from " + name + " " + req.uri() + "\n");
      }
    });
    server.webSocketHandler(ws -> {
      ws.textMessageHandler(ws::writeTextMessage);
      ws.binaryMessageHandler(ws::writeBinaryMessage);
    });
    return await(server.listen(0, "127.0.0.1"));
  }
}
