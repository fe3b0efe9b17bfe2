package io.sscmic.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** grpc-timeout as the gRPC HTTP/2 spec writes it, and grpc-message's percent-encoding. */
class GrpcStatusTest {
  @Test
  void grpcTimeoutInEveryUnit() {
    assertEquals(Duration.ofHours(2), GrpcStatus.timeout("2H"));
    assertEquals(Duration.ofMinutes(3), GrpcStatus.timeout("3M"));
    assertEquals(Duration.ofSeconds(5), GrpcStatus.timeout("5S"));
    assertEquals(Duration.ofMillis(250), GrpcStatus.timeout("250m"));
    assertEquals(Duration.ofNanos(7000), GrpcStatus.timeout("7u"));
    assertEquals(Duration.ofNanos(99999999), GrpcStatus.timeout("99999999n"));
  }

  @Test
  void aMalformedGrpcTimeoutIsIgnored() {
    assertNull(GrpcStatus.timeout(null));
    assertNull(GrpcStatus.timeout("S"));
    assertNull(GrpcStatus.timeout("100"), "no unit");
    assertNull(GrpcStatus.timeout("100x"), "unknown unit");
    assertNull(GrpcStatus.timeout("123456789S"), "more than 8 digits");
    assertNull(GrpcStatus.timeout("-5S"));
  }

  @Test
  void grpcMessageIsPercentEncodedOutsidePrintableAscii() {
    assertEquals("no healthy peer for service 'orders'", GrpcStatus.encodeMessage(
        "no healthy peer for service 'orders'"));
    assertEquals("100%25 caf%C3%A9%0A", GrpcStatus.encodeMessage("100% café\n"));
  }

  @Test
  void eachFailureKindHasTheStatusAGrpcClientExpects() {
    assertEquals(14, GrpcStatus.of(ProxyFailure.Kind.NO_PEER), "UNAVAILABLE");
    assertEquals(14, GrpcStatus.of(ProxyFailure.Kind.UPSTREAM), "UNAVAILABLE");
    assertEquals(4, GrpcStatus.of(ProxyFailure.Kind.TIMEOUT), "DEADLINE_EXCEEDED");
    assertEquals(12, GrpcStatus.of(ProxyFailure.Kind.NO_ROUTE), "UNIMPLEMENTED");
    assertEquals(13, GrpcStatus.of(ProxyFailure.Kind.BAD_REQUEST), "INTERNAL");
  }
}
