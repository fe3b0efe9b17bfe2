package io.sscmic.gateway.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/** Blocking loopback clients that play a legacy application, for tests (never on an event loop). */
final class Clients {
  private Clients() {
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Sends {@code payload}, half-closes, and returns every byte read until the server closes. */
  static byte[] exchange(int port, byte[] payload) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = s.getOutputStream();
          for (int off = 0; off < payload.length; off += 65536) {
            out.write(payload, off, Math.min(65536, payload.length - off));
          }
          s.shutdownOutput();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      s.getInputStream().transferTo(got);
      writer.get();
      return got.toByteArray();
    }
  }

  /**
   * Like {@link #exchange} for connections the sidecar is expected to refuse: a reset while
   * writing or reading ends the exchange; returns what the application received.
   */
  static byte[] refusedExchange(int port, byte[] payload) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      try {
        s.getOutputStream().write(payload);
        s.shutdownOutput();
      } catch (IOException e) {
        // Already reset by the sidecar: that is the refusal.
      }
      return readUntilClosed(s.getInputStream()).toByteArray();
    }
  }

  /** Reads until EOF; returns what arrived before the end or the reset. */
  static ByteArrayOutputStream readUntilClosed(InputStream in) {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, n);
      }
    } catch (IOException e) {
      // A reset ends the stream too: the caller checks what arrived.
    }
    return got;
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
