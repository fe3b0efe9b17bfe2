package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request streams on the v2 multiplexer (issue 16): a stream whose HEADERS are an ordinary HTTP
 * request, not a CONNECT, is forwarded by the receiving node to its local service as HTTP/1.1 (a
 * real JDK HTTP server here), and the answer comes back as the stream's HEADERS and DATA. The
 * caller side is a raw HTTP/2 stream on a pooled peer connection, as the HTTP listener's would be.
 * Netty's leak detector runs at PARANOID.
 */
class MuxRequestStreamTest {
  private MuxPair pair;
  private HttpServer web;
  /** The service's view: the source port of each request's connection (one port, one connection). */
  private final java.util.List<Integer> callers = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeAll
  static void paranoid() {
    LeakWatch.paranoid();
  }

  @BeforeEach
  void setUp() throws Exception {
    web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.createContext("/", exchange -> {
      callers.add(exchange.getRemoteAddress().getPort());
      if (exchange.getRequestURI().getPath().equals("/close")) {
        exchange.getResponseHeaders().add("connection", "close");
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      byte[] answer = exchange.getRequestURI().getPath().equals("/echo") ? body
          : ("web saw " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getProtocol()
              + " host=" + exchange.getRequestHeaders().getFirst("host") + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("x-service", "web");
      exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    web.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    web.stop(0);
    if (pair != null) {
      pair.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private void start(Map<String, SocketAddress> services) throws Exception {
    pair = new MuxPair(MuxSettings.defaults());
    pair.start(StreamPolicy.ALLOW_MEMBERS, services);
    // A first CONNECT stream brings the peer connection up; request streams then share it.
    pair.open("web").channel().close().sync();
  }

  private record Answer(Http2Headers headers, byte[] body, boolean reset) {
    String status() {
      return headers == null ? null : headers.status().toString();
    }
  }

  /** Sends one request on a new stream of the pooled connection and collects its answer. */
  private Answer request(Http2Headers headers, byte[] body) throws Exception {
    PeerConnection conn = pair.pool.connections(pair.endpoint).get(0);
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(conn.channel())
        .handler(new ChannelInboundHandlerAdapter() {
          Http2Headers head;
          final ByteArrayOutputStream data = new ByteArrayOutputStream();

          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
              if (msg instanceof Http2HeadersFrame h) {
                if (head == null) {
                  head = h.headers();
                }
                if (h.isEndStream()) {
                  answer.complete(new Answer(head, data.toByteArray(), false));
                }
              } else if (msg instanceof Http2DataFrame d) {
                byte[] b = new byte[d.content().readableBytes()];
                d.content().readBytes(b);
                data.writeBytes(b);
                if (d.isEndStream()) {
                  answer.complete(new Answer(head, data.toByteArray(), false));
                }
              }
            } finally {
              ReferenceCountUtil.release(msg);
            }
          }

          @Override
          public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame) {
              answer.complete(new Answer(head, data.toByteArray(), true));
            }
          }

          @Override
          public void channelInactive(ChannelHandlerContext ctx) {
            answer.complete(new Answer(head, data.toByteArray(), true));
          }
        }).open().get(30, TimeUnit.SECONDS);
    boolean bodyless = body == null;
    stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, bodyless));
    if (!bodyless) {
      int chunk = 16 * 1024;
      for (int off = 0; off < body.length; off += chunk) {
        int len = Math.min(chunk, body.length - off);
        stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body, off, len), off + len == body.length));
      }
      stream.flush();
    }
    Answer a = answer.get(30, TimeUnit.SECONDS);
    stream.close();
    return a;
  }

  private static Http2Headers get(String authority, String path) {
    return new DefaultHttp2Headers().method("GET").scheme("http").authority(authority).path(path);
  }

  @Test
  void aGetIsForwardedToTheServiceAsHttp11AndItsAnswerComesBackAsFrames() throws Exception {
    start(Map.of("web", web.getAddress()));
    Answer a = request(get("web", "/hello?x=1"), null);
    assertEquals("200", a.status(), "answered: " + a.headers());
    assertEquals("web", a.headers().get("x-service").toString(), "the service's own header");
    assertEquals("web saw GET /hello?x=1 HTTP/1.1 host=web\n", new String(a.body(), StandardCharsets.UTF_8));
    for (int i = 0; i < 20; i++) {
      assertEquals("200", request(get("web:8080", "/n" + i), null).status(), "a port in :authority is ignored");
    }
  }

  /**
   * The receiving node keeps its HTTP/1.1 connection to the service between request streams (it
   * dialled once per request before: a connect and a close each).
   */
  @Test
  void requestStreamsOneAfterAnotherShareOneKeptAliveConnectionToTheService() throws Exception {
    start(Map.of("web", web.getAddress()));
    for (int i = 0; i < 20; i++) {
      assertEquals("200", request(get("web", "/n" + i), null).status());
    }
    assertEquals(20, callers.size());
    assertEquals(1, new java.util.HashSet<>(callers).size(), "one connection for 20 requests: " + callers);
  }

  /** A service that answers {@code Connection: close} is dialled afresh next time, and every answer arrives. */
  @Test
  void aServiceThatClosesAfterItsAnswerGetsANewConnectionEachTime() throws Exception {
    start(Map.of("web", web.getAddress()));
    for (int i = 0; i < 5; i++) {
      Answer a = request(get("web", "/close"), null);
      assertEquals("200", a.status());
      assertEquals(false, a.reset());
    }
    assertEquals(5, new java.util.HashSet<>(callers).size(), "a connection per request: " + callers);
  }

  @Test
  void aBodyStreamsThroughByteExact() throws Exception {
    start(Map.of("web", web.getAddress()));
    byte[] body = new byte[1 << 20];
    new Random(16).nextBytes(body);
    Answer a = request(new DefaultHttp2Headers().method("POST").scheme("http").authority("web").path("/echo")
        .setInt("content-length", body.length), body);
    assertEquals("200", a.status());
    assertArrayEquals(body, a.body());
    assertEquals(false, a.reset());
  }

  @Test
  void anUnknownServiceOrOneThatIsDownIsRefusedWithItsReason() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    start(Map.of("web", web.getAddress(), "down", new InetSocketAddress("127.0.0.1", closed)));
    Answer unknown = request(get("nowhere", "/"), null);
    assertEquals("404", unknown.status());
    assertEquals("unknown_service", unknown.headers().get(RefusalReason.HEADER).toString());
    Answer down = request(get("down", "/"), null);
    assertEquals("502", down.status());
    assertEquals("service_refused", down.headers().get(RefusalReason.HEADER).toString());
    assertTrue(pair.serverRegistry.find("sscmic.mux.streams.refused").counters().size() >= 1
        || pair.serverRegistry.getMeters().stream().anyMatch(m -> m.getId().getName().contains("refused")),
        "refusals counted");
  }
}
