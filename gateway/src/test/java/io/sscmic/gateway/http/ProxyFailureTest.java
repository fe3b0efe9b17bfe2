package io.sscmic.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** A failed exchange is classified by its type, never by the words of its message. */
class ProxyFailureTest {
  private final Target target = new Target("web", "web.example/", "web.example", "/x", Duration.ofMillis(500));

  @Test
  void aTimeoutIs504AndNotRetried() {
    ProxyFailure f = ProxyFailure.exchange(new TimeoutException("The timeout period of 500ms has been exceeded"
        + " while executing GET /x for server 127.0.0.1:40000"), target, "10.0.0.7:7443");
    assertEquals(504, f.status());
    assertEquals("timeout", f.outcome());
    assertEquals("service 'web' did not answer within 500 ms", f.getMessage(), "no internal port in the answer");
    assertFalse(f.retriable(), "the route's time is spent");
  }

  @Test
  void aFailedPeerIs502AndRetriableWhateverItsMessageSays() {
    ProxyFailure refused = ProxyFailure.exchange(new ConnectException("Connection refused"), target, "10.0.0.7:7443");
    assertEquals(502, refused.status());
    assertEquals("upstream", refused.outcome());
    assertTrue(refused.retriable());
    assertEquals("peer sidecar 10.0.0.7:7443 for service 'web' failed: Connection refused", refused.getMessage());
    // The word "timeout" in a message made a 504 before; the type decides now.
    ProxyFailure worded = ProxyFailure.exchange(new IOException("idle timeout on the peer's side"), target, "p");
    assertEquals(502, worded.status());
  }

  @Test
  void aProxyFailureStaysWhatItIs() {
    ProxyFailure noPeer = ProxyFailure.noPeer("web");
    assertSame(noPeer, ProxyFailure.exchange(noPeer, target, "p"));
    assertEquals(503, noPeer.status());
    assertEquals("no_peer", noPeer.outcome());
    assertEquals(0, noPeer.getStackTrace().length, "an answer, not a bug: no stack trace is taken");
  }
}
