package io.sscmic.gateway.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sniffer on a real pipeline (EmbeddedChannel): it decides from bytes that arrive in pieces,
 * hands every byte on unchanged and in order after its decision, holds a half-close behind the
 * bytes, times out to TCP, and leaks nothing when the client goes away first.
 */
class ProtocolSnifferTest {
  /** What the relay would see: every event after the sniffer, in order, and when. */
  private static final class Downstream extends ChannelInboundHandlerAdapter {
    final List<String> events = new ArrayList<>();
    final StringBuilder bytes = new StringBuilder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      bytes.append(b.toString(StandardCharsets.ISO_8859_1));
      events.add("data");
      b.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt instanceof ChannelInputShutdownEvent ? "fin" : evt.toString());
    }
  }

  private final AtomicReference<Protocol> decided = new AtomicReference<>();
  private final AtomicReference<ProtocolSniffer.How> how = new AtomicReference<>();
  private final AtomicBoolean closedFirst = new AtomicBoolean();
  private final Downstream downstream = new Downstream();
  private final List<String> order = new ArrayList<>();

  private EmbeddedChannel channel(Duration timeout) {
    EmbeddedChannel ch = new EmbeddedChannel(downstream);
    ch.pipeline().addFirst("sniff", new ProtocolSniffer(timeout, (p, h) -> {
      decided.set(p);
      how.set(h);
      order.add("decided with " + downstream.events.size() + " events downstream");
    }, () -> closedFirst.set(true)));
    return ch;
  }

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  @Test
  void anHttpRequestInPiecesIsHeldUntilDecidedThenPassedOnWhole() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));
    ch.writeInbound(bytes("G"));
    ch.writeInbound(bytes("E"));
    assertNull(decided.get(), "two bytes cannot tell GET from GEX");
    assertTrue(downstream.events.isEmpty(), "nothing reaches the relay before the decision");
    ch.writeInbound(bytes("T /orders HTTP/1.1\r\nHost: a\r\n\r\n"));
    assertEquals(Protocol.HTTP1, decided.get());
    assertEquals(ProtocolSniffer.How.SNIFFED, how.get());
    assertEquals(List.of("decided with 0 events downstream"), order, "the carrier is set up before bytes flow");
    assertEquals("GET /orders HTTP/1.1\r\nHost: a\r\n\r\n", downstream.bytes.toString());
    assertNull(ch.pipeline().get("sniff"), "the sniffer leaves the pipeline once it decided");
    ch.writeInbound(bytes("more"));
    assertTrue(downstream.bytes.toString().endsWith("more"), "later bytes flow straight through");
    assertFalse(ch.finish());
  }

  @Test
  void opaqueBytesAreTcpAtOnce() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));
    ch.writeInbound(bytes("*1\r\n$4\r\nPING\r\n"));
    assertEquals(Protocol.TCP, decided.get());
    assertEquals("*1\r\n$4\r\nPING\r\n", downstream.bytes.toString());
    ch.finish();
  }

  @Test
  void theHttp2PrefaceSplitAcrossReadsIsHttp2() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));
    ch.writeInbound(bytes("PRI * HTTP/2.0\r\n"));
    assertNull(decided.get());
    ch.writeInbound(bytes("\r\nSM\r\n\r\n\0\0\0\4"));
    assertEquals(Protocol.HTTP2, decided.get());
    assertEquals("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4", downstream.bytes.toString());
    ch.finish();
  }

  @Test
  void aClientThatSaysNothingIsCarriedAsTcpAfterTheTimeout() {
    EmbeddedChannel ch = channel(Duration.ofMillis(300));
    ch.advanceTimeBy(299, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertNull(decided.get());
    ch.advanceTimeBy(2, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals(Protocol.TCP, decided.get());
    assertEquals(ProtocolSniffer.How.TIMEOUT, how.get());
    ch.finish();
  }

  @Test
  void aPartialPatternThenTheTimeoutIsTcpAndTheBytesStillArrive() {
    EmbeddedChannel ch = channel(Duration.ofMillis(300));
    ch.writeInbound(bytes("GE"));
    ch.advanceTimeBy(400, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals(Protocol.TCP, decided.get());
    assertEquals("GE", downstream.bytes.toString());
    ch.finish();
  }

  @Test
  void aHalfCloseWhilePeekingDecidesAndArrivesAfterTheBytes() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));
    ch.writeInbound(bytes("GE"));
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertEquals(Protocol.TCP, decided.get(), "a short, partial pattern that ends is TCP");
    assertEquals(List.of("data", "fin"), downstream.events, "the FIN is not overtaken by the bytes it follows");
    assertEquals("GE", downstream.bytes.toString());
    ch.finish();
  }

  @Test
  void aClientThatLeavesBeforeTheDecisionLeaksNothing() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));
    ByteBuf partial = bytes("PRI * HTTP/2");
    ch.writeInbound(partial);
    ch.close();
    assertTrue(closedFirst.get());
    assertNull(decided.get());
    assertEquals(0, partial.refCnt(), "the held bytes were released");
    assertTrue(downstream.events.isEmpty());
  }
}
