package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * The client side of the v2 handshake, socket-free: {@link #start} gives the INIT record,
 * {@link #onResponse} checks RESP and gives the FINISH record with the verified result. One
 * instance per connection, used from one thread. On RESP the checks run in this order, the first
 * failure being the reason: structure ({@code malformed}), version ({@code unsupported}), DH
 * ({@code malformed} for a low-order key), sealed part ({@code bad_record}), certificate
 * ({@code bad_certificate}), certificate names the destination ({@code wrong_peer}), revocation
 * ({@code revoked}), server signature ({@code bad_signature}).
 */
public final class Initiator {
  private final HandshakeSettings settings;
  private final String destination;
  private final CipherSuite suite;
  private final Ephemeral ephemeral;
  private final byte[] random;
  private byte[] chainKey;
  private long initEpoch;
  private byte[] initRecord;
  private HandshakeKeys keys;
  private boolean c2sKeyUsed;

  public Initiator(HandshakeSettings settings, String destination, CipherSuite suite) {
    this(settings, destination, suite, new Ephemeral(settings.random()), newRandom(settings));
  }

  /** With a fixed ephemeral key and random (test vectors only). */
  Initiator(HandshakeSettings settings, String destination, CipherSuite suite, Ephemeral ephemeral, byte[] random) {
    this.settings = settings;
    this.destination = destination;
    this.suite = suite;
    this.ephemeral = ephemeral;
    this.random = random;
  }

  private static byte[] newRandom(HandshakeSettings settings) {
    byte[] r = new byte[Init.RANDOM_LENGTH];
    settings.random().nextBytes(r);
    return r;
  }

  public String destination() {
    return destination;
  }

  /** The INIT record for the current epoch; {@code not_ready} before the node has a key state. */
  public byte[] start() throws HandshakeFailure {
    if (initRecord != null) {
      throw new IllegalStateException("INIT already sent");
    }
    KeyState state = settings.schedule().current();
    if (state == null) {
      throw new HandshakeFailure(AlertReason.NOT_READY, "no key state yet");
    }
    chainKey = state.chainKey(KeyRole.CURRENT).clone();
    initEpoch = state.epoch();
    initRecord = Init.encode(state.tc(), Wire.SUPPORTED_VERSIONS, suite, ephemeral.publicKey(), random,
        settings.identity().nodeId(), destination, chainKey);
    return initRecord.clone();
  }

  /** Checks the server's RESP record (header and body); on success the FINISH to send and the result. */
  public Established onResponse(byte[] record) throws HandshakeFailure {
    if (initRecord == null || chainKey == null) {
      throw new IllegalStateException("RESP before INIT, or twice");
    }
    MessageReader r = new MessageReader(record, Wire.HEADER_LENGTH, record.length, "RESP");
    if (r.u8() != Messages.RESP) {
      throw r.malformed("not a RESP message");
    }
    int version = r.u8();
    if (Arrays.stream(Wire.SUPPORTED_VERSIONS).noneMatch(v -> v == version)) {
      throw new HandshakeFailure(AlertReason.UNSUPPORTED, "server chose version " + version + ", offered "
          + Arrays.toString(Wire.SUPPORTED_VERSIONS));
    }
    byte[] serverEphemeral = r.bytes(Init.KEY_LENGTH);
    r.bytes(Init.RANDOM_LENGTH);
    int sealedFrom = r.position();
    byte[] respClear = Messages.range(record, Wire.HEADER_LENGTH, sealedFrom);
    byte[] dh = ephemeral.agree(serverEphemeral);
    ephemeral.erase();
    keys = new HandshakeKeys(dh, chainKey, Messages.transcript(initRecord, respClear));
    Arrays.fill(dh, (byte) 0);
    byte[] aad = V2Kdf.concat(Messages.range(record, 0, Wire.HEADER_LENGTH), respClear);
    byte[] plain = keys.open(Direction.SERVER_TO_CLIENT, suite, settings.provider(), aad, record, sealedFrom,
        record.length - sealedFrom);
    CertificateMessage.Parsed parsed = CertificateMessage.parse(plain, "RESP certificate message");
    X509Certificate server = settings.verifier().verify(parsed.message().certificates(), destination);
    byte[] th2 = Messages.transcript(initRecord, respClear, Messages.range(plain, 0, parsed.certificateListLength()));
    if (!Signatures.verify(server.getPublicKey(), Signatures.SERVER_CONTEXT, th2, parsed.message().signature())) {
      throw new HandshakeFailure(AlertReason.BAD_SIGNATURE, "server signature over the transcript does not verify");
    }
    byte[] respBody = Messages.range(record, Wire.HEADER_LENGTH, record.length);
    byte[] finish = finish(respBody);
    byte[] th4 = Messages.transcript(initRecord, respBody, Messages.range(finish, Wire.HEADER_LENGTH, finish.length));
    byte[] secret = keys.connectionSecret(th4);
    erase();
    return new Established(destination, server, suite, version, initEpoch, secret, finish);
  }

  private byte[] finish(byte[] respBody) {
    byte[] certList = CertificateMessage.encodeCertificates(settings.identity().certificate());
    byte[] th3 = Messages.transcript(initRecord, respBody, certList);
    byte[] sig = Signatures.sign(settings.identity().privateKey(), Signatures.CLIENT_CONTEXT, th3);
    byte[] plain = CertificateMessage.encode(certList, sig);
    int length = 1 + plain.length + Wire.TAG_LENGTH;
    byte[] record = new byte[Wire.HEADER_LENGTH + length];
    Wire.writeHeader(record, 0, currentTc(), Wire.TYPE_HANDSHAKE, length);
    record[Wire.HEADER_LENGTH] = (byte) Messages.FINISH;
    byte[] aad = Messages.range(record, 0, Wire.HEADER_LENGTH + 1);
    byte[] sealed = keys.seal(Direction.CLIENT_TO_SERVER, suite, settings.provider(), aad, plain);
    System.arraycopy(sealed, 0, record, Wire.HEADER_LENGTH + 1, sealed.length);
    c2sKeyUsed = true;
    return record;
  }

  /**
   * After a failed RESP: an ALERT sealed under the client's handshake key, which the server can
   * open (the only message that key will ever seal); null when no handshake key exists yet (then
   * the caller sends a CLEAR_ALERT).
   */
  public byte[] sealedAlert(AlertReason reason) {
    if (keys == null || c2sKeyUsed) {
      return null;
    }
    byte[] plain = Alerts.encode(reason);
    byte[] record = new byte[Wire.HEADER_LENGTH + plain.length + Wire.TAG_LENGTH];
    Wire.writeHeader(record, 0, currentTc(), Wire.TYPE_ALERT, plain.length + Wire.TAG_LENGTH);
    byte[] sealed = keys.seal(Direction.CLIENT_TO_SERVER, suite, settings.provider(),
        Messages.range(record, 0, Wire.HEADER_LENGTH), plain);
    System.arraycopy(sealed, 0, record, Wire.HEADER_LENGTH, sealed.length);
    c2sKeyUsed = true;
    return record;
  }

  /** D for records sent now: the current Tc (that of INIT if the state has gone). */
  public int currentTc() {
    KeyState s = settings.schedule().current();
    return s == null ? (int) (initEpoch & 0xFFFF) : s.tc();
  }

  /** Erases the ephemeral private key, the chain key copy and the handshake keys. */
  public void erase() {
    ephemeral.erase();
    if (chainKey != null) {
      Arrays.fill(chainKey, (byte) 0);
      chainKey = null;
    }
    if (keys != null) {
      keys.erase();
      keys = null;
    }
  }
}
