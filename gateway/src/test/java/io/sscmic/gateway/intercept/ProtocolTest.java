package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the first bytes of a captured connection are labelled, and when more are needed. */
class ProtocolTest {
  private static Protocol detect(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    return Protocol.detect(b, b.length);
  }

  @Test
  void http1RequestLinesAreHttp1AsSoonAsTheMethodAndItsSpaceAreIn() {
    assertEquals(Protocol.HTTP1, detect("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(Protocol.HTTP1, detect("POST "));
    assertEquals(Protocol.HTTP1, detect("OPTIONS * HTTP/1.1\r\n"));
    assertEquals(Protocol.HTTP1, detect("PATCH /x"));
    assertEquals(Protocol.HTTP1, detect("CONNECT db:5432 HTTP/1.1\r\n"));
  }

  @Test
  void aPrefixOfAMethodWaitsForMoreBytes() {
    assertNull(detect("G"));
    assertNull(detect("GE"));
    assertNull(detect("GET"), "GET without its space could still be GETX, which is not HTTP");
    assertNull(detect("DEL"));
  }

  @Test
  void theHttp2PrefaceIsHttp2OnlyWhenComplete() {
    assertEquals(Protocol.HTTP2, detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    assertEquals(Protocol.HTTP2, detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\u0012\u0004"));
    assertNull(detect("PRI * HTTP/2.0\r\n"));
    assertEquals(Protocol.TCP, detect("PRI * HTTP/1.1\r\n"), "diverges from the preface: not HTTP/2");
  }

  @Test
  void everythingElseIsOpaqueTcpFromItsFirstByte() {
    assertEquals(Protocol.TCP, detect("*1\r\n$4\r\nPING\r\n"), "redis RESP");
    assertEquals(Protocol.TCP, detect("\u0016\u0003\u0001\u0002\u0000"), "a TLS ClientHello");
    assertEquals(Protocol.TCP, detect("\u0000\u0000\u0000\u0008\u0004\u00d2\u0016\u002f"), "a PostgreSQL SSLRequest");
    assertEquals(Protocol.TCP, detect("get / HTTP/1.1"), "methods are case-sensitive");
    assertEquals(Protocol.TCP, detect("GETX / HTTP/1.1"));
  }

  @Test
  void detectionNeverAsksForMoreThanMaxPeek() {
    // A pathological prefix that stays a prefix of something can never hold a connection longer
    // than MAX_PEEK bytes: at that length every pattern has matched or diverged.
    byte[] preface = Protocol.HTTP2_PREFACE;
    assertEquals(Protocol.HTTP2, Protocol.detect(preface, Protocol.MAX_PEEK));
    for (byte[] method : Protocol.HTTP1_METHODS) {
      assertEquals(Protocol.HTTP1, Protocol.detect(method, method.length));
    }
  }
}
