package io.sscmic.authority.chain;

import io.sscmic.authority.store.SecretErasure;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.EpochClock;
import io.sscmic.keysyn.KeyChain;
import io.sscmic.keysyn.KeyRole;
import io.sscmic.keysyn.KeyState;
import io.sscmic.keysyn.Seed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Forward secrecy against the authority's own disk: it keeps one anchor (N, K(N)) of its key
 * chain, in the {@code anchor} file (0600), and moves it forward on a schedule
 * ({@code authority.anchor-advance}), erasing what it replaces: the previous anchor, re-seed
 * anchors that have taken effect, and the mesh seed (unless recovery method 1 is on, whose nodes
 * need it). From its files one can compute K(M) for M at or after the anchor only; the keys of
 * traffic before it are out of reach, as the ratchet is one-way.
 *
 * <p>Also bounds catching up (issue 14 item 10): the authority starts from its anchor, not from
 * genesis, so a restart ratchets at most the outage plus one advance period. Blocking (files,
 * ratchet): call on a worker or the command-line thread.
 */
public final class AuthorityAnchor {
  public static final String NAME = AuthorityFiles.ANCHOR;
  /**
   * Ratchet steps a restart may take and still be ready in about a second: 150,000 HKDF steps.
   * Measured (AuthorityAnchorTest, 2 shared cores at load average 20): 6.3 us of CPU a step, so
   * 0.95 s of CPU; less on an idle machine.
   */
  public static final long CATCH_UP_BUDGET_STEPS = 150_000;
  /** The outage a restart must absorb within the budget. */
  public static final java.time.Duration OUTAGE = java.time.Duration.ofDays(30);
  /**
   * The shortest interval for a new mesh (sscmic init): with the default daily anchor advance,
   * a 30-day outage then costs at most (30 d + 24 h) / 20 s = 133,920 steps.
   */
  public static final java.time.Duration MIN_INTERVAL = java.time.Duration.ofSeconds(20);
  private static final String HEADER = "# the authority's key-chain anchor: <epoch> <chain key>; keep 0600. Earlier keys "
      + "are erased.\n";

  private AuthorityAnchor() {
  }

  /** What {@link #load} found and did, for the log. */
  public record Loaded(KeyChain chain, ChainAnchor anchor, long stepsFromStoredAnchor, List<Path> erased,
                       boolean seedKept) {
  }

  /**
   * The chain the authority runs from: its anchor, moved to the epoch before the clock's, and the
   * re-seeds scheduled after it. A mesh from before this file (seed and chain file only) gets its
   * anchor now. Writes the new anchor and erases what it replaces.
   */
  public static Loaded load(AuthorityFiles files, EpochClock clock, boolean method1) throws IOException {
    Path anchorFile = files.file(NAME);
    Path chainFile = files.file(ChainFile.NAME);
    SecretErasure.finishInterrupted(anchorFile);
    SecretErasure.finishInterrupted(chainFile);
    List<ChainAnchor> reseeds = ChainFile.read(chainFile);
    ChainAnchor stored;
    List<ChainAnchor> anchors = new ArrayList<>();
    if (Files.exists(anchorFile)) {
      stored = read(anchorFile);
      anchors.add(stored);
      reseeds.stream().filter(a -> a.epoch() > stored.epoch()).forEach(anchors::add);
    } else {
      Path seed = files.file(AuthorityFiles.SEED);
      if (!Files.exists(seed)) {
        throw new IOException("neither " + anchorFile + " nor " + seed + " exists: this is not a mesh made by sscmic init");
      }
      stored = ChainAnchor.genesis(Seed.readFile(seed));
      anchors.add(stored);
      anchors.addAll(reseeds);
    }
    KeyChain full = new KeyChain(anchors);
    long at = Math.max(stored.epoch(), clock.currentEpoch() - 1);
    ChainAnchor moved = new ChainAnchor(at, full.stateAt(at).chainKey(KeyRole.CURRENT));
    List<Path> erased = keepOnly(files, moved, method1);
    List<ChainAnchor> running = new ArrayList<>();
    running.add(moved);
    full.anchors().stream().filter(a -> a.epoch() > at).forEach(running::add);
    boolean seedKept = Files.exists(files.file(AuthorityFiles.SEED));
    return new Loaded(new KeyChain(running), moved, at - stored.epoch(), erased, seedKept);
  }

  /**
   * Ratchet steps a restarting authority takes after an outage: from its stored anchor (at most
   * one advance period old when the outage began) to the clock's epoch.
   */
  public static long stepsToCatchUp(java.time.Duration outage, java.time.Duration anchorAdvance,
                                    java.time.Duration interval) {
    return outage.plus(anchorAdvance).toMillis() / interval.toMillis();
  }

  /** The anchor a running key state allows: (N - 1, Kp), or (N, Kn) at a chain's first epoch. */
  public static ChainAnchor of(KeyState state) {
    if (state.roleFor(state.tc() - 1 & 0xFFFF) != null) {
      return new ChainAnchor(state.epoch() - 1, state.chainKey(KeyRole.PREVIOUS));
    }
    return new ChainAnchor(state.epoch(), state.chainKey(KeyRole.CURRENT));
  }

  /**
   * Makes {@code anchor} the only stored key at or before its epoch: writes it, erases the
   * previous anchor, the re-seed anchors at or before it, and the seed unless method 1 needs it.
   *
   * @return the files whose old content was erased
   */
  public static List<Path> keepOnly(AuthorityFiles files, ChainAnchor anchor, boolean method1) throws IOException {
    List<Path> erased = new ArrayList<>();
    Path anchorFile = files.file(NAME);
    boolean existed = Files.exists(anchorFile);
    if (!existed || read(anchorFile).epoch() != anchor.epoch()) {
      SecretErasure.replace(anchorFile, (HEADER + line(anchor)).getBytes(StandardCharsets.US_ASCII));
      if (existed) {
        erased.add(anchorFile);
      }
    }
    Path chainFile = files.file(ChainFile.NAME);
    List<ChainAnchor> reseeds = ChainFile.read(chainFile);
    if (reseeds.stream().anyMatch(a -> a.epoch() <= anchor.epoch())) {
      StringBuilder text = new StringBuilder(ChainFile.HEADER);
      reseeds.stream().filter(a -> a.epoch() > anchor.epoch()).forEach(a -> text.append(line(a)));
      SecretErasure.replace(chainFile, text.toString().getBytes(StandardCharsets.US_ASCII));
      erased.add(chainFile);
    }
    Path seed = files.file(AuthorityFiles.SEED);
    if (!method1 && Files.exists(seed)) {
      SecretErasure.wipe(seed);
      erased.add(seed);
    }
    return erased;
  }

  static ChainAnchor read(Path file) throws IOException {
    List<ChainAnchor> a = ChainFile.read(file);
    if (a.size() != 1) {
      throw new IOException(file + ": expected one line '<epoch> <64 hex digits>', found " + a.size());
    }
    return a.get(0);
  }

  private static String line(ChainAnchor a) {
    return a.epoch() + " " + HexFormat.of().formatHex(a.key()) + "\n";
  }
}
