package io.sscmic.gateway.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sscmic.gateway.cipher.AeadProvider;
import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.gateway.cipher.FrameAead;
import io.sscmic.gateway.record.RecordOpener;
import io.sscmic.gateway.record.RecordSealer;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Recomputes the test vectors of docs/PROTOCOL-v2.md from the code (the document cannot drift),
 * and checks the documented formulas independently of the classes that implement them: an
 * implementation that follows the document byte for byte reproduces every vector.
 */
class ProtocolV2VectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  static byte[] range(int from, int count) {
    byte[] b = new byte[count];
    for (int i = 0; i < count; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  /** One handshake and a few records for one cipher, from the document's fixed inputs. */
  record Run(CipherSuite suite, byte[] init, byte[] resp, byte[] finish, Established client, Established server,
             byte[] dataC2s1, byte[] dataC2s2, byte[] dataS2c, byte[] alertS2c) {
  }

  static KeySchedule scheduleAt(long epoch) {
    KeySchedule s = new KeySchedule();
    s.install(ChainAnchor.genesis(range(0, 32)).stateAt(epoch));
    return s;
  }

  static Run run(CipherSuite suite) throws Exception {
    FixedCertificates.Pair ca = FixedCertificates.ca();
    FixedCertificates.Pair alpha = FixedCertificates.node(ca, "alpha", (byte) 0x11, 2);
    FixedCertificates.Pair beta = FixedCertificates.node(ca, "beta", (byte) 0x22, 3);
    PeerVerifier verifier = new PeerVerifier(ca.certificate(), RevocationCheck.NONE,
        Clock.fixed(FixedCertificates.VERIFY_AT, ZoneOffset.UTC));
    KeySchedule cs = scheduleAt(1);
    KeySchedule ss = scheduleAt(1);
    HandshakeSettings client = new HandshakeSettings(new LocalIdentity("alpha", alpha.certificate(), alpha.key()),
        verifier, cs, new ReplayFilter(0, 0, 10), AeadProvider.JDK, TestIdentities.RANDOM, HandshakeSettings.DEFAULT_TIMEOUT);
    HandshakeSettings server = new HandshakeSettings(new LocalIdentity("beta", beta.certificate(), beta.key()),
        verifier, ss, new ReplayFilter(0, 0, 10), AeadProvider.JDK, TestIdentities.RANDOM, HandshakeSettings.DEFAULT_TIMEOUT);
    Initiator i = new Initiator(client, "beta", suite, new Ephemeral(range(0x30, 32)), range(0x70, 32));
    Responder r = new Responder(server, new Ephemeral(range(0x50, 32)), range(0x90, 32));
    byte[] init = i.start();
    byte[] resp = r.onInit(init);
    Established c = i.onResponse(resp);
    Established s = r.onFinish(c.finishRecord());
    RecordSealer c2s = new RecordSealer(cs, c.connectionSecret(), suite, AeadProvider.JDK, Direction.CLIENT_TO_SERVER);
    byte[] d1 = c2s.seal(Wire.TYPE_DATA, "hello".getBytes(StandardCharsets.US_ASCII));
    cs.advanceTo(2);
    byte[] d2 = c2s.seal(Wire.TYPE_DATA, "world".getBytes(StandardCharsets.US_ASCII));
    RecordSealer s2c = new RecordSealer(ss, s.connectionSecret(), suite, AeadProvider.JDK, Direction.SERVER_TO_CLIENT);
    byte[] d3 = s2c.seal(Wire.TYPE_DATA, "hi".getBytes(StandardCharsets.US_ASCII));
    byte[] alert = s2c.seal(Wire.TYPE_ALERT, Alerts.encode(AlertReason.CLOSING));
    return new Run(suite, init, resp, c.finishRecord(), c, s, d1, d2, d3, alert);
  }

  static byte[] sha256(byte[]... parts) {
    MessageDigest md = V2Kdf.sha256();
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  static byte[] body(byte[] record) {
    return Arrays.copyOfRange(record, Wire.HEADER_LENGTH, record.length);
  }

  /** Every vector, computed from the inputs the document states. */
  static Map<String, String> compute() throws Exception {
    Map<String, String> v = new LinkedHashMap<>();
    ChainAnchor chain = ChainAnchor.genesis(range(0, 32));
    byte[] k1 = chain.stateAt(1).chainKey(KeyRole.CURRENT);
    byte[] k2 = chain.stateAt(2).chainKey(KeyRole.CURRENT);
    v.put("K(1)", HEX.formatHex(k1));
    v.put("K(2)", HEX.formatHex(k2));
    FixedCertificates.Pair ca = FixedCertificates.ca();
    v.put("ca certificate", HEX.formatHex(ca.certificate().getEncoded()));
    v.put("alpha certificate", HEX.formatHex(FixedCertificates.node(ca, "alpha", (byte) 0x11, 2).certificate().getEncoded()));
    v.put("beta certificate", HEX.formatHex(FixedCertificates.node(ca, "beta", (byte) 0x22, 3).certificate().getEncoded()));
    Ephemeral ec = new Ephemeral(range(0x30, 32));
    Ephemeral es = new Ephemeral(range(0x50, 32));
    v.put("e_c", HEX.formatHex(ec.publicKey()));
    v.put("e_s", HEX.formatHex(es.publicKey()));
    byte[] dh = ec.agree(es.publicKey());
    v.put("dh", HEX.formatHex(dh));
    v.put("init mac key", HEX.formatHex(V2Kdf.derive(k1, null, "init mac", 32)));
    for (CipherSuite suite : CipherSuite.values()) {
      String t = suite == CipherSuite.AES_256_GCM ? "[aes] " : "[chacha] ";
      Run run = run(suite);
      v.put(t + "init", HEX.formatHex(run.init()));
      v.put(t + "resp", HEX.formatHex(run.resp()));
      v.put(t + "finish", HEX.formatHex(run.finish()));
      byte[] th1 = sha256(run.init(), Arrays.copyOfRange(run.resp(), 5, 5 + Messages.RESP_CLEAR_LENGTH));
      byte[] ikm = V2Kdf.concat(dh, k1);
      v.put(t + "TH1", HEX.formatHex(th1));
      v.put(t + "hs key c2s", HEX.formatHex(V2Kdf.derive(ikm, th1, "hs key c2s", 32)));
      v.put(t + "hs iv c2s", HEX.formatHex(V2Kdf.derive(ikm, th1, "hs iv c2s", 12)));
      v.put(t + "hs key s2c", HEX.formatHex(V2Kdf.derive(ikm, th1, "hs key s2c", 32)));
      v.put(t + "hs iv s2c", HEX.formatHex(V2Kdf.derive(ikm, th1, "hs iv s2c", 12)));
      byte[] th4 = sha256(run.init(), body(run.resp()), body(run.finish()));
      v.put(t + "TH4", HEX.formatHex(th4));
      byte[] secret = V2Kdf.derive(ikm, th4, "connection secret", 32);
      v.put(t + "connection secret", HEX.formatHex(secret));
      v.put(t + "record key c2s, K(1)", HEX.formatHex(V2Kdf.derive(k1, secret, "record key c2s", 32)));
      v.put(t + "record iv c2s, K(1)", HEX.formatHex(V2Kdf.derive(k1, secret, "record iv c2s", 12)));
      v.put(t + "record key c2s, K(2)", HEX.formatHex(V2Kdf.derive(k2, secret, "record key c2s", 32)));
      v.put(t + "record iv c2s, K(2)", HEX.formatHex(V2Kdf.derive(k2, secret, "record iv c2s", 12)));
      v.put(t + "record key s2c, K(1)", HEX.formatHex(V2Kdf.derive(k1, secret, "record key s2c", 32)));
      v.put(t + "record iv s2c, K(1)", HEX.formatHex(V2Kdf.derive(k1, secret, "record iv s2c", 12)));
      v.put(t + "data c2s (seq 0, epoch 1, \"hello\")", HEX.formatHex(run.dataC2s1()));
      v.put(t + "data c2s (seq 1, epoch 2, \"world\")", HEX.formatHex(run.dataC2s2()));
      v.put(t + "data s2c (seq 0, epoch 1, \"hi\")", HEX.formatHex(run.dataS2c()));
      v.put(t + "alert s2c (seq 1, epoch 1, closing)", HEX.formatHex(run.alertS2c()));
    }
    v.put("clear alert (epoch 1, bad_mac)", HEX.formatHex(Alerts.clearRecord(1, AlertReason.BAD_MAC)));
    v.put("v1 refuse (epoch 1)", HEX.formatHex(Alerts.v1Refuse(1)));
    return v;
  }

  static Map<String, String> documented() throws Exception {
    String text = Files.readString(Path.of("..", "docs", "PROTOCOL-v2.md"), StandardCharsets.UTF_8);
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
    Map<String, String> computed = compute();
    Map<String, String> doc = documented();
    if (!doc.equals(computed)) {
      fail("docs/PROTOCOL-v2.md test vectors differ from the code. Computed block:\n" + render(computed));
    }
  }

  @Test
  void theHandshakeIsReproducibleAndBothProvidersAgree() throws Exception {
    Run a = run(CipherSuite.CHACHA20_POLY1305);
    Run b = run(CipherSuite.CHACHA20_POLY1305);
    assertArrayEquals(a.resp(), b.resp(), "deterministic signatures: the same inputs give the same RESP");
    assertArrayEquals(a.finish(), b.finish());
    for (CipherSuite suite : CipherSuite.values()) {
      Run r = run(suite);
      KeySchedule s = scheduleAt(1);
      RecordSealer bc = new RecordSealer(s, r.client().connectionSecret(), suite, AeadProvider.BOUNCY_CASTLE,
          Direction.CLIENT_TO_SERVER);
      assertArrayEquals(r.dataC2s1(), bc.seal(Wire.TYPE_DATA, "hello".getBytes(StandardCharsets.US_ASCII)));
    }
  }

  /** What an independent implementation does with the document alone: every step from the formulas. */
  @Test
  void theDocumentedFormulasReproduceTheDocumentedMessages() throws Exception {
    Map<String, String> doc = documented();
    byte[] k1 = HEX.parseHex(doc.get("K(1)"));
    byte[] k2 = HEX.parseHex(doc.get("K(2)"));
    FixedCertificates.Pair ca = FixedCertificates.ca();
    FixedCertificates.Pair beta = FixedCertificates.node(ca, "beta", (byte) 0x22, 3);
    for (String t : new String[] {"[aes] ", "[chacha] "}) {
      CipherSuite suite = t.startsWith("[aes") ? CipherSuite.AES_256_GCM : CipherSuite.CHACHA20_POLY1305;
      byte[] init = HEX.parseHex(doc.get(t + "init"));
      byte[] mac = V2Kdf.hmac(V2Kdf.derive(k1, null, "init mac", 32), init, 0, init.length - 32);
      assertArrayEquals(mac, Arrays.copyOfRange(init, init.length - 32, init.length), "INIT MAC");
      byte[] resp = HEX.parseHex(doc.get(t + "resp"));
      int clearEnd = 5 + Messages.RESP_CLEAR_LENGTH;
      byte[] plain = new byte[resp.length - clearEnd - 16];
      AeadProvider.JDK.create(suite, HEX.parseHex(doc.get(t + "hs key s2c"))).open(
          HEX.parseHex(doc.get(t + "hs iv s2c")), resp, 0, clearEnd, resp, clearEnd, resp.length - clearEnd, plain, 0);
      int certLen = (plain[1] & 0xFF) << 8 | plain[2] & 0xFF;
      assertArrayEquals(beta.certificate().getEncoded(), Arrays.copyOfRange(plain, 3, 3 + certLen));
      byte[] th2 = sha256(init, Arrays.copyOfRange(resp, 5, clearEnd), Arrays.copyOfRange(plain, 0, 3 + certLen));
      byte[] sig = Arrays.copyOfRange(plain, 3 + certLen + 2, plain.length);
      assertTrue(Signatures.verify(beta.certificate().getPublicKey(),
          "sscmic/v2 server signature".getBytes(StandardCharsets.US_ASCII), th2, sig));
      byte[] finish = HEX.parseHex(doc.get(t + "finish"));
      byte[] fplain = new byte[finish.length - 6 - 16];
      AeadProvider.JDK.create(suite, HEX.parseHex(doc.get(t + "hs key c2s"))).open(
          HEX.parseHex(doc.get(t + "hs iv c2s")), finish, 0, 6, finish, 6, finish.length - 6, fplain, 0);
      assertEquals(1, fplain[0]);
      // DATA: nonce = iv XOR (0^32 || seq), AAD = header.
      checkRecord(suite, doc.get(t + "data c2s (seq 0, epoch 1, \"hello\")"), doc.get(t + "record key c2s, K(1)"),
          doc.get(t + "record iv c2s, K(1)"), 0, "hello");
      checkRecord(suite, doc.get(t + "data c2s (seq 1, epoch 2, \"world\")"), doc.get(t + "record key c2s, K(2)"),
          doc.get(t + "record iv c2s, K(2)"), 1, "world");
      checkRecord(suite, doc.get(t + "data s2c (seq 0, epoch 1, \"hi\")"), doc.get(t + "record key s2c, K(1)"),
          doc.get(t + "record iv s2c, K(1)"), 0, "hi");
      // The receiver rule: a receiver still at epoch 1 opens the epoch-2 record with R(Kn).
      KeySchedule receiver = scheduleAt(1);
      RecordOpener opener = new RecordOpener(receiver, HEX.parseHex(doc.get(t + "connection secret")), suite,
          AeadProvider.JDK, Direction.CLIENT_TO_SERVER);
      assertArrayEquals("hello".getBytes(), opener.open(HEX.parseHex(doc.get(t + "data c2s (seq 0, epoch 1, \"hello\")"))));
      assertArrayEquals("world".getBytes(), opener.open(HEX.parseHex(doc.get(t + "data c2s (seq 1, epoch 2, \"world\")"))));
      assertArrayEquals(k2, receiver.keyFor(receiver.current(), 2));
    }
    KeyState e1 = ChainAnchor.genesis(range(0, 32)).stateAt(1);
    assertArrayEquals(k1, e1.chainKey(KeyRole.CURRENT));
  }

  private static void checkRecord(CipherSuite suite, String recordHex, String keyHex, String ivHex, long seq,
                                  String text) throws Exception {
    byte[] record = HEX.parseHex(recordHex);
    byte[] iv = HEX.parseHex(ivHex);
    byte[] nonce = iv.clone();
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] ^= (byte) (seq >>> (56 - 8 * i));
    }
    byte[] plain = new byte[record.length - 5 - FrameAead.TAG_LENGTH];
    AeadProvider.BOUNCY_CASTLE.create(suite, HEX.parseHex(keyHex)).open(nonce, record, 0, 5, record, 5,
        record.length - 5, plain, 0);
    assertEquals(text, new String(plain, StandardCharsets.US_ASCII));
  }
}
