package io.sscmic.gateway.node;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to {@code sscmic node}: it stops accepting at once, lets the stream in flight finish,
 * then exits; what the application sees is a complete stream and refused new connections.
 */
class NodeGracefulShutdownTest {
  @TempDir
  Path dir;
  private final Vertx vertx = TestVertx.create();
  private Process process;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    TestMesh.await(vertx.close());
  }

  @Test
  void sigtermDrainsTheStreamInFlightAndRefusesNewOnes() throws Exception {
    NetServer echo = Backends.echo(vertx);
    Instant genesis = Instant.now().minusSeconds(3600);
    Node server = TestMesh.start(vertx, TestMesh.server("server", genesis, Duration.ofSeconds(1), TestMesh.SEED,
        Map.of("echo", Backends.address(echo))));
    Path seed = dir.resolve("seed");
    Files.writeString(seed, java.util.HexFormat.of().formatHex(TestMesh.SEED) + "\n");
    Files.setPosixFilePermissions(seed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    int outbound = NodeProcesses.freePort();
    Path config = dir.resolve("client.yaml");
    Files.writeString(config, String.join("\n",
        "node: {id: client}",
        "keysyn: {genesis: \"" + genesis + "\", interval: 1s, seed-file: \"" + seed + "\"}",
        "outbound: [{listen: \"127.0.0.1:" + outbound + "\", service: echo, peer: \"127.0.0.1:" + server.tunnelPort()
            + "\"}]",
        "admin: {listen: none}", ""));
    Path log = dir.resolve("client.log");
    process = NodeProcesses.start(config, log);
    TestWait.until(() -> {
      try (Socket s = new Socket("127.0.0.1", outbound)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    }, "the node to listen (log: " + log + ")");

    // A stream that takes about two seconds: ten chunks, 200 ms apart, echoed back.
    byte[] chunk = Clients.random(64 * 1024, 9);
    Socket stream = new Socket("127.0.0.1", outbound);
    stream.setSoTimeout(30_000);
    CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
      try {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        stream.getInputStream().transferTo(got);
        return got.toByteArray();
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    OutputStream out = stream.getOutputStream();
    out.write(chunk);
    Thread.sleep(300);
    process.destroy(); // SIGTERM
    for (int i = 1; i < 10; i++) {
      Thread.sleep(200);
      out.write(chunk);
    }
    stream.shutdownOutput();

    // New connections are refused while the old stream drains.
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", outbound).close());
    byte[] expected = new byte[10 * chunk.length];
    for (int i = 0; i < 10; i++) {
      System.arraycopy(chunk, 0, expected, i * chunk.length, chunk.length);
    }
    assertArrayEquals(expected, echoed.get(30, TimeUnit.SECONDS), "the stream in flight completed");
    stream.close();
    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the node exits after draining");
    assertTrue(List.of(0, 143).contains(process.exitValue()), "exit status " + process.exitValue());
    String output = Files.readString(log);
    assertTrue(output.contains("sscmic: stopping (closing listeners, draining connections)"), output);
    assertTrue(output.contains("sscmic: stopped"), output);
    assertEquals(0.0, server.metrics().failures(), "the server side saw no broken stream");
  }
}
