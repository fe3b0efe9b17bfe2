package io.sscmic.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.policy.MeshPolicy;
import io.sscmic.gateway.mux.FileStreamPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sscmic policy} on an authority directory: every edit bumps the version, is checked by the
 * nodes' parser before it is written, and means on a node what the operator asked (checked through
 * {@link FileStreamPolicy}, the parser the nodes apply it with).
 */
class PolicyCommandTest {
  @TempDir
  Path dir;
  private Path config;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void mesh() throws Exception {
    config = dir.resolve("authority.yaml");
    Files.writeString(config, "# the test only needs the directory\n");
    Files.writeString(dir.resolve("ca.key"), "not read by the policy command\n");
    Files.writeString(dir.resolve("ca.crt"), "not read either: its presence marks the mesh directory\n");
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    List<String> a = new java.util.ArrayList<>(List.of("policy"));
    a.addAll(List.of(args));
    a.add("--config");
    a.add(config.toString());
    return PolicyCommand.run(a, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private FileStreamPolicy onANode() throws Exception {
    MeshPolicy p = MeshPolicy.load(dir.resolve(MeshPolicy.FILE));
    return FileStreamPolicy.parse(p.lines(), "test");
  }

  @Test
  void theDefaultLetsEveryMemberReachEveryServiceAndEachEditBumpsTheVersion() throws Exception {
    assertEquals(0, run("list"));
    assertTrue(out.toString().contains("policy version 0"), out.toString());
    assertTrue(out.toString().contains("allow * *"), out.toString());
    assertTrue(onANode().check("anyone", "orders").allowed(), "no file: every member reaches every service");

    assertEquals(0, run("deny", "orders", "web-2"));
    assertEquals(1, MeshPolicy.load(dir.resolve(MeshPolicy.FILE)).version());
    FileStreamPolicy p = onANode();
    assertFalse(p.check("web-2", "orders").allowed(), "web-2 is denied orders");
    assertTrue(p.check("web-1", "orders").allowed(), "the others still reach orders");
    assertTrue(p.check("web-2", "billing").allowed(), "web-2 still reaches the other services");

    assertEquals(0, run("allow", "orders", "web-2"));
    assertEquals(2, MeshPolicy.load(dir.resolve(MeshPolicy.FILE)).version());
    p = onANode();
    assertTrue(p.check("web-2", "orders").allowed(), "allow lifts the deny");
    assertFalse(p.check("web-1", "orders").allowed(), "and its first allow line limits orders to its callers");
  }

  @Test
  void aGroupDefinedAfterSomeRulesStillGoesFirstAndIsRedefinedInPlace() throws Exception {
    assertEquals(0, run("allow", "orders", "web-1"));
    assertEquals(0, run("group", "frontend", "web-1", "web-2"));
    assertEquals(0, run("allow", "billing", "@frontend"));
    assertEquals(0, run("group", "frontend", "web-3"));
    assertEquals(List.of("group frontend web-3", "allow * *", "allow orders web-1", "allow billing @frontend"),
        MeshPolicy.load(dir.resolve(MeshPolicy.FILE)).lines());
    FileStreamPolicy p = onANode();
    assertTrue(p.check("web-3", "billing").allowed(), "the group as redefined");
    assertFalse(p.check("web-2", "billing").allowed());
  }

  @Test
  void anEditTheNodesCouldNotParseIsRefusedAndNothingChanges() throws Exception {
    assertEquals(2, run("allow", "orders", "@nobody"));
    assertTrue(err.toString().contains("unknown group 'nobody'"), err.toString());
    assertTrue(err.toString().contains("nothing changed"), err.toString());
    assertFalse(Files.exists(dir.resolve(MeshPolicy.FILE)), "nothing written");
    assertEquals(2, run("deny", "or ders!", "x"));
    assertEquals(2, run("remove", "7"));
    assertTrue(err.toString().contains("no line 7"), err.toString());

    assertEquals(0, run("group", "frontend", "web-1", "web-2"));
    assertEquals(0, run("allow", "orders", "@frontend"));
    assertEquals(0, run("deny", "*", "old-batch"));
    FileStreamPolicy p = onANode();
    assertTrue(p.check("web-1", "orders").allowed());
    assertFalse(p.check("batch-7", "orders").allowed());
    assertFalse(p.check("old-batch", "metrics").allowed(), "deny * shuts a caller out of every service");
    assertTrue(p.check("batch-7", "metrics").allowed());

    assertEquals(0, run("list"));
    assertTrue(out.toString().contains("  1  group frontend web-1 web-2"), out.toString());
    assertEquals(0, run("remove", "4"));
    assertTrue(onANode().check("old-batch", "metrics").allowed(), "line 4 (deny * old-batch) removed");
    assertEquals(MeshPolicy.load(dir.resolve(MeshPolicy.FILE)).version(), 4);
  }

  @Test
  void revokeWritesTheAuthorityRevocationsFile() throws Exception {
    assertEquals(0, run("revoke", "web-9"));
    assertTrue(Revocations.load(dir.resolve("revoked")).isRevoked("web-9"));
    assertEquals(0, run("revoke", "web-9"));
    assertTrue(out.toString().contains("already revoked"), out.toString());
    assertEquals(2, run("revoke", "bad id!"));
    assertEquals(0, run("list"));
    assertTrue(out.toString().contains("revoked: web-9"), out.toString());
  }

  @Test
  void anAuthorityReplicaOnEtcdWithoutCaKeyRevokes() throws Exception {
    // A replica on etcd has no ca.key (it opens the CA key from etcd); the command refused it as
    // "holds no mesh", so a revocation could not be made on that replica's host.
    Files.delete(dir.resolve("ca.key"));
    assertEquals(0, run("revoke", "web-7"), err.toString());
    assertTrue(Revocations.load(dir.resolve("revoked")).isRevoked("web-7"));
  }

  @Test
  void aDirectoryWithoutAMeshIsRefused() throws Exception {
    Files.delete(dir.resolve("ca.crt"));
    assertEquals(2, run("list"));
    assertTrue(err.toString().contains("holds no mesh"), err.toString());
  }
}
