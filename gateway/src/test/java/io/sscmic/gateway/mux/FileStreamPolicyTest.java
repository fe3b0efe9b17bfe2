package io.sscmic.gateway.mux;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStreamPolicyTest {
  @Test
  void servicesListTheirCallersAndTheRestFallBackToTheStarLines(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.txt");
    Files.writeString(file, String.join("\n",
        "# who may call what",
        "group frontend web-1 web-2",
        "allow orders @frontend batch-7   # the order service",
        "allow orders admin-1",
        "allow metrics *",
        "allow * admin-1",
        ""), StandardCharsets.UTF_8);
    FileStreamPolicy p = FileStreamPolicy.load(file);
    assertTrue(p.check("web-1", "orders").allowed());
    assertTrue(p.check("batch-7", "orders").allowed());
    assertTrue(p.check("admin-1", "orders").allowed(), "several lines for one service add up");
    assertFalse(p.check("web-3", "orders").allowed());
    assertTrue(p.check("anyone", "metrics").allowed());
    assertTrue(p.check("admin-1", "billing").allowed(), "unlisted service: the * line");
    assertFalse(p.check("web-1", "billing").allowed());
  }

  @Test
  void allowStarStarIsTheDefaultPolicy() throws Exception {
    FileStreamPolicy p = FileStreamPolicy.parse(List.of("allow * *"), "t");
    assertTrue(p.check("any-node", "any-service").allowed());
    assertTrue(StreamPolicy.ALLOW_MEMBERS.check("any-node", "any-service").allowed());
  }

  @Test
  void anEmptyFileRefusesEverything() throws Exception {
    FileStreamPolicy p = FileStreamPolicy.parse(List.of("# nothing"), "t");
    assertFalse(p.check("node-a", "echo").allowed());
  }

  @Test
  void mistakesAreReportedWithTheirLine() {
    var e = assertThrows(FileStreamPolicy.PolicyFormatException.class,
        () -> FileStreamPolicy.parse(List.of("group g a", "allow echo @nosuch"), "policy.txt"));
    assertTrue(e.getMessage().startsWith("policy.txt:2:"), e.getMessage());
    assertThrows(FileStreamPolicy.PolicyFormatException.class,
        () -> FileStreamPolicy.parse(List.of("permit echo a"), "t"));
    assertThrows(FileStreamPolicy.PolicyFormatException.class,
        () -> FileStreamPolicy.parse(List.of("allow echo"), "t"));
    assertThrows(FileStreamPolicy.PolicyFormatException.class,
        () -> FileStreamPolicy.parse(List.of("group g a", "group g b"), "t"));
    assertThrows(FileStreamPolicy.PolicyFormatException.class,
        () -> FileStreamPolicy.parse(List.of("allow ech/o a"), "t"));
  }
}
