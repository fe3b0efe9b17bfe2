package io.sscmic.gateway.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SidecarRoundTripTest {
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    TestMesh.await(vertx.close());
  }

  @Test
  void echoesBytesExactlyThroughThePair() throws Exception {
    NetServer echo = Backends.echo(vertx);
    Instant genesis = Instant.now();
    Node b = TestMesh.start(vertx, TestMesh.server("b", genesis, Duration.ofSeconds(10), TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    Node a = TestMesh.start(vertx, TestMesh.client("a", genesis, Duration.ofSeconds(10), TestMesh.SEED, "echo",
        b.tunnelPort()));
    byte[] payload = new byte[1 << 20];
    new Random(1).nextBytes(payload);
    try (Socket s = new Socket("127.0.0.1", a.outboundPort("echo"))) {
      s.setSoTimeout(20_000);
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = s.getOutputStream();
          out.write(payload);
          s.shutdownOutput();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      writer.start();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      in.transferTo(got);
      writer.join();
      assertEquals(payload.length, got.size());
      assertArrayEquals(payload, got.toByteArray());
    }
  }
}
