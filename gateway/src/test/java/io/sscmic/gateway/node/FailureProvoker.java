package io.sscmic.gateway.node;

import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.frame.HelloFrame;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import java.io.IOException;
import java.net.Socket;
import java.security.SecureRandom;

/**
 * Plays a misbehaving peer against a tunnel port with hand-built frames, one refusal reason per
 * method. It knows the mesh seed where a reason needs a valid MAC (stale, future, replay).
 */
final class FailureProvoker {
  private final int tunnelPort;
  private final ChainAnchor chain;
  private final KeySchedule receiver;
  private final SecureRandom random = new SecureRandom();

  /** @param receiver the schedule of the node under test, read afresh for every hello */
  FailureProvoker(int tunnelPort, byte[] seed, KeySchedule receiver) {
    this.tunnelPort = tunnelPort;
    this.chain = ChainAnchor.genesis(seed);
    this.receiver = receiver;
  }

  private byte[] hello(long epoch, byte[] chainKey, byte[] clientRandom, String service) {
    return HelloFrame.encode(EpochClock.tcOf(epoch), CipherSuite.AES_256_GCM, clientRandom, service, chainKey);
  }

  private byte[] freshRandom() {
    byte[] r = new byte[32];
    random.nextBytes(r);
    return r;
  }

  /** Sends bytes, then reads until the sidecar closes; returns what it answered. */
  byte[] send(byte[] bytes) throws IOException {
    try (Socket s = new Socket("127.0.0.1", tunnelPort)) {
      s.setSoTimeout(10_000);
      try {
        s.getOutputStream().write(bytes);
      } catch (IOException e) {
        // refused before everything was written
      }
      return Clients.readUntilClosed(s.getInputStream()).toByteArray();
    }
  }

  void auth(String service) throws IOException {
    send(hello(receiver.current().epoch(), new byte[32], freshRandom(), service));
  }

  void staleEpoch(String service) throws IOException {
    // Beyond Kp and the keys the receiver retains for its grace window.
    long e = receiver.current().epoch() - 2 - receiver.retainedEpochs();
    send(hello(e, chain.stateAt(e).chainKey(KeyRole.CURRENT), freshRandom(), service));
  }

  void futureEpoch(String service) throws IOException {
    long e = receiver.current().epoch() + 2;
    send(hello(e, chain.stateAt(e).chainKey(KeyRole.CURRENT), freshRandom(), service));
  }

  void malformed() throws IOException {
    send("SSH-2.0-OpenSSH_9.2\r\n".getBytes());
  }

  void oversize() throws IOException {
    send(new byte[] {0, 0, 0x10, (byte) 0xFF, (byte) 0xFF});
  }

  /**
   * A valid hello, then the same hello again on a second connection. The first is accepted (one
   * stream opened, then cut: truncated); the second is refused as a replay.
   */
  void replay(String service) throws IOException {
    byte[] hello = hello(receiver.current().epoch(), receiver.current().chainKey(KeyRole.CURRENT), freshRandom(), service);
    try (Socket first = new Socket("127.0.0.1", tunnelPort)) {
      first.setSoTimeout(10_000);
      first.getOutputStream().write(hello);
      byte[] header = first.getInputStream().readNBytes(5);
      if (header.length < 5 || header[2] != 0x11) {
        throw new IOException("the genuine hello was not accepted");
      }
    }
    send(hello);
  }

  /**
   * Opens a connection from {@code localAddress} (any 127.x.y.z works on Linux loopback) and sends
   * a valid hello; returns the socket and the type byte of the answer (0x11 ACCEPT, 0x12 REFUSE).
   */
  Object[] validHelloFrom(String localAddress, String service) throws IOException {
    Socket s = new Socket(java.net.InetAddress.getByName("127.0.0.1"), tunnelPort,
        java.net.InetAddress.getByName(localAddress), 0);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(hello(receiver.current().epoch(), receiver.current().chainKey(KeyRole.CURRENT), freshRandom(), service));
    byte[] header = s.getInputStream().readNBytes(5);
    return new Object[] {s, header.length < 5 ? -1 : (int) header[2]};
  }
}
