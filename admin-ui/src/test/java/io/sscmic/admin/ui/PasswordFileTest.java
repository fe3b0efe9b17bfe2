package io.sscmic.admin.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where a generated password's file goes when the node has no state directory of its own. */
class PasswordFileTest {
  @Test
  void theConfiguredStateDirectoryWinsThenSystemdsThenATemporaryFile() {
    assertEquals(Path.of("/var/lib/sscmic/state"), PasswordFile.directory(Path.of("/var/lib/sscmic/state"),
        "/var/lib/sscmic/orders"));
    assertEquals(Path.of("/var/lib/sscmic/orders"), PasswordFile.directory(null, "/var/lib/sscmic/orders:/var/lib/other"),
        "systemd's StateDirectory= (the unit's PrivateTmp would hide a temporary file)");
    assertNull(PasswordFile.directory(null, null), "neither: a temporary file");
    assertNull(PasswordFile.directory(null, " "));
  }
}
