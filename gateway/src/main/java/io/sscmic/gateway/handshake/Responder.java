package io.sscmic.gateway.handshake;

import io.sscmic.gateway.cipher.CipherSuite;
import io.sscmic.keysyn.KeySchedule;
import io.sscmic.keysyn.KeyState;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * The server side of the v2 handshake, socket-free: {@link #onInit} checks INIT and gives RESP,
 * {@link #onFinish} checks FINISH and gives the verified result. One instance per connection, used
 * from one thread.
 *
 * <p>INIT is checked cheapest first, so an outsider costs one HKDF and one HMAC and never a DH or
 * a signature (the record layer has already checked the header: type, length bound, v1 codes):
 * <ol>
 *   <li>structure: {@code malformed}</li>
 *   <li>a version in common: {@code unsupported}; a known cipher: {@code unsupported}</li>
 *   <li>a key state: {@code not_ready}; K(D) by the receiver rule: {@code stale_epoch} / {@code future_epoch}</li>
 *   <li>the MAC under K(D): {@code bad_mac} (not a member)</li>
 *   <li>destination = this node: {@code wrong_destination}</li>
 *   <li>epoch not before this node started: {@code stale_epoch}; ephemeral key not seen in the
 *       window: {@code replay}; room in the filter: {@code overloaded}</li>
 *   <li>DH: {@code malformed} for a low-order key</li>
 * </ol>
 * FINISH: structure ({@code malformed}), sealed part ({@code bad_record}), certificate
 * ({@code bad_certificate}), names the INIT's client id ({@code wrong_peer}), revocation
 * ({@code revoked}), client signature ({@code bad_signature}).
 */
public final class Responder {
  private final HandshakeSettings settings;
  private final Ephemeral ephemeral;
  private final byte[] random;
  private Init init;
  private CipherSuite suite;
  private int version;
  private long initEpoch;
  private byte[] respBody;
  private HandshakeKeys keys;
  private byte[] connectionSecret;

  public Responder(HandshakeSettings settings) {
    this(settings, new Ephemeral(settings.random()), newRandom(settings));
  }

  /** With a fixed ephemeral key and random (test vectors only). */
  Responder(HandshakeSettings settings, Ephemeral ephemeral, byte[] random) {
    this.settings = settings;
    this.ephemeral = ephemeral;
    this.random = random;
  }

  private static byte[] newRandom(HandshakeSettings settings) {
    byte[] r = new byte[Init.RANDOM_LENGTH];
    settings.random().nextBytes(r);
    return r;
  }

  /** Checks an INIT record (header and body) and returns the RESP record. */
  public byte[] onInit(byte[] record) throws HandshakeFailure {
    if (init != null) {
      throw new IllegalStateException("second INIT");
    }
    Init in = Init.parse(record);
    version = chooseVersion(in.versions());
    try {
      suite = CipherSuite.fromWireId(in.cipherId());
    } catch (IllegalArgumentException e) {
      throw new HandshakeFailure(AlertReason.UNSUPPORTED, "cipher id " + in.cipherId());
    }
    KeySchedule schedule = settings.schedule();
    KeyState state = schedule.current();
    if (state == null) {
      throw new HandshakeFailure(AlertReason.NOT_READY, "no key state yet");
    }
    byte[] chainKey = schedule.keyFor(state, in.d());
    if (chainKey == null) {
      throw new HandshakeFailure(state.distanceTo(in.d()) > 0 ? AlertReason.FUTURE_EPOCH : AlertReason.STALE_EPOCH,
          "INIT epoch header " + in.d() + ", local tc " + state.tc());
    }
    if (!in.macValid(chainKey)) {
      throw new HandshakeFailure(AlertReason.BAD_MAC, "INIT MAC does not verify under the epoch key");
    }
    if (!in.destination().equals(settings.identity().nodeId())) {
      throw new HandshakeFailure(AlertReason.WRONG_DESTINATION,
          "INIT for node '" + in.destination() + "' reached '" + settings.identity().nodeId() + "'");
    }
    initEpoch = state.epochFor(in.d());
    settings.replayFilter().admit(in.ephemeral(), initEpoch, state.epoch());
    byte[] dh = ephemeral.agree(in.ephemeral());
    byte[] serverEphemeral = ephemeral.publicKey();
    ephemeral.erase();
    init = in;

    byte[] respClear = new byte[Messages.RESP_CLEAR_LENGTH];
    respClear[0] = (byte) Messages.RESP;
    respClear[1] = (byte) version;
    System.arraycopy(serverEphemeral, 0, respClear, 2, Init.KEY_LENGTH);
    System.arraycopy(random, 0, respClear, 2 + Init.KEY_LENGTH, Init.RANDOM_LENGTH);
    keys = new HandshakeKeys(dh, chainKey, Messages.transcript(record, respClear));
    Arrays.fill(dh, (byte) 0);
    byte[] certList = CertificateMessage.encodeCertificates(settings.identity().certificate());
    byte[] th2 = Messages.transcript(record, respClear, certList);
    byte[] sig = Signatures.sign(settings.identity().privateKey(), Signatures.SERVER_CONTEXT, th2);
    byte[] plain = CertificateMessage.encode(certList, sig);
    int length = respClear.length + plain.length + Wire.TAG_LENGTH;
    byte[] resp = new byte[Wire.HEADER_LENGTH + length];
    Wire.writeHeader(resp, 0, state.tc(), Wire.TYPE_HANDSHAKE, length);
    System.arraycopy(respClear, 0, resp, Wire.HEADER_LENGTH, respClear.length);
    byte[] aad = Messages.range(resp, 0, Wire.HEADER_LENGTH + respClear.length);
    byte[] sealed = keys.seal(Direction.SERVER_TO_CLIENT, suite, settings.provider(), aad, plain);
    System.arraycopy(sealed, 0, resp, Wire.HEADER_LENGTH + respClear.length, sealed.length);
    respBody = Messages.range(resp, Wire.HEADER_LENGTH, resp.length);
    return resp;
  }

  private static int chooseVersion(int[] offered) throws HandshakeFailure {
    for (int v : offered) {
      for (int s : Wire.SUPPORTED_VERSIONS) {
        if (v == s) {
          return v;
        }
      }
    }
    throw new HandshakeFailure(AlertReason.UNSUPPORTED, "client offers versions " + Arrays.toString(offered)
        + ", this node speaks " + Arrays.toString(Wire.SUPPORTED_VERSIONS));
  }

  /** Checks the client's FINISH record and returns the verified result. */
  public Established onFinish(byte[] record) throws HandshakeFailure {
    if (keys == null) {
      throw new IllegalStateException("FINISH before INIT, or twice");
    }
    MessageReader r = new MessageReader(record, Wire.HEADER_LENGTH, record.length, "FINISH");
    if (r.u8() != Messages.FINISH) {
      throw r.malformed("not a FINISH message");
    }
    byte[] finishBody = Messages.range(record, Wire.HEADER_LENGTH, record.length);
    // Derivable from the bytes alone; lets a refusal of FINISH travel sealed under the record keys.
    connectionSecret = keys.connectionSecret(Messages.transcript(init.record(), respBody, finishBody));
    byte[] aad = Messages.range(record, 0, Wire.HEADER_LENGTH + 1);
    byte[] plain = keys.open(Direction.CLIENT_TO_SERVER, suite, settings.provider(), aad, record,
        Wire.HEADER_LENGTH + 1, record.length - Wire.HEADER_LENGTH - 1);
    CertificateMessage.Parsed parsed = CertificateMessage.parse(plain, "FINISH certificate message");
    X509Certificate client = settings.verifier().verify(parsed.message().certificates(), init.clientId());
    byte[] th3 = Messages.transcript(init.record(), respBody,
        Messages.range(plain, 0, parsed.certificateListLength()));
    if (!Signatures.verify(client.getPublicKey(), Signatures.CLIENT_CONTEXT, th3, parsed.message().signature())) {
      throw new HandshakeFailure(AlertReason.BAD_SIGNATURE, "client signature over the transcript does not verify");
    }
    Established done = new Established(init.clientId(), client, suite, version, initEpoch, connectionSecret.clone(),
        null);
    erase();
    eraseSecret();
    return done;
  }

  /** Opens the client's ALERT sent instead of FINISH (sealed under its handshake key). */
  public Alerts.PeerAlert openAlert(byte[] record) throws HandshakeFailure {
    if (keys == null) {
      throw new HandshakeFailure(AlertReason.UNEXPECTED_RECORD, "sealed ALERT before any handshake key");
    }
    byte[] plain = keys.open(Direction.CLIENT_TO_SERVER, suite, settings.provider(),
        Messages.range(record, 0, Wire.HEADER_LENGTH), record, Wire.HEADER_LENGTH, record.length - Wire.HEADER_LENGTH);
    if (plain.length < 1) {
      throw new HandshakeFailure(AlertReason.MALFORMED, "empty ALERT");
    }
    return Alerts.parse(plain, 0, plain.length);
  }

  /** The client the INIT named (null before INIT). */
  public String claimedClient() {
    return init == null ? null : init.clientId();
  }

  /** The cipher the INIT chose (null before INIT). */
  public CipherSuite suite() {
    return suite;
  }

  /**
   * After a FINISH arrived, verified or not: the connection secret, so that a refusal can be sealed
   * under the record keys the client already uses; null before FINISH.
   */
  public byte[] connectionSecret() {
    return connectionSecret;
  }

  public void erase() {
    ephemeral.erase();
    if (keys != null) {
      keys.erase();
      keys = null;
    }
  }

  /** Erases the connection secret kept for a refusal (after the ALERT went out). */
  public void eraseSecret() {
    if (connectionSecret != null) {
      Arrays.fill(connectionSecret, (byte) 0);
      connectionSecret = null;
    }
  }
}
