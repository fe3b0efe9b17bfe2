package io.sscmic.gateway.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Recomputes the test vectors of docs/PROTOCOL.md from the code: the document cannot drift. */
class ProtocolVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  static byte[] range(int from, int count) {
    byte[] b = new byte[count];
    for (int i = 0; i < count; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  /** Every vector, computed from the inputs the document states. */
  static Map<String, String> compute(AeadProvider provider) {
    Map<String, String> v = new LinkedHashMap<>();
    byte[] seed = range(0, 32);
    byte[] clientRandom = range(0x20, 32);
    byte[] serverRandom = range(0x40, 32);
    ChainAnchor anchor = ChainAnchor.genesis(seed);
    KeyState e0 = anchor.stateAt(0);
    KeyState e1 = anchor.stateAt(1);
    KeyState e2 = anchor.stateAt(2);
    v.put("seed", HEX.formatHex(seed));
    v.put("K(0)", HEX.formatHex(e0.chainKey(KeyRole.CURRENT)));
    v.put("K(1)", HEX.formatHex(e1.chainKey(KeyRole.CURRENT)));
    v.put("K(2)", HEX.formatHex(e2.chainKey(KeyRole.CURRENT)));
    byte[] hello = HelloFrame.encode(e1.tc(), CipherSuite.AES_256_GCM, clientRandom, "echo",
        e1.chainKey(KeyRole.CURRENT));
    v.put("hello", HEX.formatHex(hello));
    byte[] accept = AcceptFrame.encode(e1.tc(), serverRandom, hello, e1.chainKey(KeyRole.CURRENT));
    v.put("accept", HEX.formatHex(accept));
    TrafficKeys keys = new TrafficKeys(clientRandom, serverRandom, CipherSuite.AES_256_GCM, provider);
    v.put("key(c2s, 1)", HEX.formatHex(keys.key(e1.chainKey(KeyRole.CURRENT), Direction.CLIENT_TO_SERVER)));
    v.put("key(s2c, 1)", HEX.formatHex(keys.key(e1.chainKey(KeyRole.CURRENT), Direction.SERVER_TO_CLIENT)));
    v.put("key(c2s, 2)", HEX.formatHex(keys.key(e2.chainKey(KeyRole.CURRENT), Direction.CLIENT_TO_SERVER)));
    KeySchedule sender = new KeySchedule();
    sender.install(e1);
    FrameSealer sealer = new FrameSealer(sender, keys, Direction.CLIENT_TO_SERVER);
    Buffer hi = Buffer.buffer("hello");
    v.put("data(seq 0, epoch 1, \"hello\")", HEX.formatHex(sealer.data(hi, 0, hi.length()).getBytes()));
    sender.advanceTo(2);
    Buffer world = Buffer.buffer("world");
    v.put("data(seq 1, epoch 2, \"world\")", HEX.formatHex(sealer.data(world, 0, world.length()).getBytes()));
    v.put("end(seq 2, epoch 2)", HEX.formatHex(sealer.end().getBytes()));
    return v;
  }

  static Map<String, String> documented() throws Exception {
    Path doc = Path.of("..", "docs", "PROTOCOL.md");
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    int start = text.indexOf("```vectors");
    int end = text.indexOf("```", start + 3);
    Map<String, String> v = new LinkedHashMap<>();
    for (String line : text.substring(start + "```vectors".length(), end).split("\n")) {
      int eq = line.indexOf(" = ");
      if (eq > 0) {
        v.put(line.substring(0, eq).trim(), line.substring(eq + 3).trim());
      }
    }
    return v;
  }

  static String render(Map<String, String> v) {
    int width = v.keySet().stream().mapToInt(String::length).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    v.forEach((k, val) -> sb.append(String.format("%-" + width + "s = %s%n", k, val)));
    return sb.toString();
  }

  @Test
  void documentMatchesTheCodeByteForByte() throws Exception {
    Map<String, String> computed = compute(AeadProvider.JDK);
    Map<String, String> doc = documented();
    if (!doc.equals(computed)) {
      fail("docs/PROTOCOL.md test vectors differ from the code. Computed block:\n" + render(computed));
    }
  }

  @Test
  void bothProvidersProduceTheSameFrames() {
    assertEquals(compute(AeadProvider.JDK), compute(AeadProvider.BOUNCY_CASTLE));
  }

  @Test
  void documentedFramesOpenWithTheReceiverRules() throws Exception {
    Map<String, String> doc = documented();
    ChainAnchor anchor = ChainAnchor.genesis(range(0, 32));
    byte[] hello = HEX.parseHex(doc.get("hello"));
    HelloFrame parsed = HelloFrame.parse(hello);
    assertEquals("echo", parsed.service());
    KeySchedule receiver = new KeySchedule();
    receiver.install(anchor.stateAt(1));
    assertEquals(KeyRole.CURRENT, receiver.current().roleFor(parsed.d()));
    assertEquals(true, parsed.macValid(receiver.current().chainKey(KeyRole.CURRENT)));
    assertFalse(parsed.macValid(anchor.stateAt(2).chainKey(KeyRole.CURRENT)), "MAC is bound to the epoch key");
    byte[] accept = HEX.parseHex(doc.get("accept"));
    assertEquals(true, AcceptFrame.macValid(accept, hello, receiver.current().chainKey(KeyRole.CURRENT)));
    TrafficKeys keys = new TrafficKeys(range(0x20, 32), range(0x40, 32), CipherSuite.AES_256_GCM, AeadProvider.JDK);
    // The receiver stays at epoch 1: the second frame (D = 2) is opened with R(Kn), the third too.
    FrameOpener opener = new FrameOpener(receiver, keys, Direction.CLIENT_TO_SERVER);
    byte[] f1 = HEX.parseHex(doc.get("data(seq 0, epoch 1, \"hello\")"));
    assertArrayEquals("hello".getBytes(), opener.open(FrameHeader.d(f1), FrameType.DATA, f1));
    assertEquals(KeyRole.CURRENT, opener.lastRole());
    byte[] f2 = HEX.parseHex(doc.get("data(seq 1, epoch 2, \"world\")"));
    assertArrayEquals("world".getBytes(), opener.open(FrameHeader.d(f2), FrameType.DATA, f2));
    assertEquals(KeyRole.NEXT, opener.lastRole());
    byte[] f3 = HEX.parseHex(doc.get("end(seq 2, epoch 2)"));
    assertEquals(0, opener.open(FrameHeader.d(f3), FrameType.END, f3).length);
  }
}
