package io.sscmic.authority.chain;

import io.sscmic.keysyn.ChainAnchor;
import io.sscmic.keysyn.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The re-seeded chains of a mesh, beside its seed: one line {@code <epoch> <hex chain key>} per
 * re-seed, mode 0600 (as secret as the seed). Blocking file work: call on a worker or the CLI thread.
 */
public final class ChainFile {
  public static final String NAME = "chain";
  static final String HEADER = "# re-seeded key chains: <first epoch> <chain key>; keep 0600\n";

  private ChainFile() {
  }

  public static List<ChainAnchor> read(Path file) throws IOException {
    List<ChainAnchor> anchors = new ArrayList<>();
    if (!Files.exists(file)) {
      return anchors;
    }
    int n = 0;
    for (String line : Files.readAllLines(file)) {
      n++;
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] f = t.split("\\s+");
      try {
        anchors.add(new ChainAnchor(Long.parseLong(f[0]), HexFormat.of().parseHex(f[1])));
      } catch (RuntimeException e) {
        throw new IOException(file + " line " + n + ": expected '<epoch> <64 hex digits>'");
      }
    }
    return anchors;
  }

  /** Adds a re-seed, rewriting the file atomically with mode 0600. */
  public static void append(Path file, ChainAnchor anchor) throws IOException {
    StringBuilder text = new StringBuilder(HEADER);
    for (ChainAnchor a : read(file)) {
      text.append(a.epoch()).append(' ').append(HexFormat.of().formatHex(a.key())).append('\n');
    }
    text.append(anchor.epoch()).append(' ').append(HexFormat.of().formatHex(anchor.key())).append('\n');
    Pem.write(file, text.toString(), true);
  }
}
