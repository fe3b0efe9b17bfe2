package io.sscmic.gateway.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscmic.gateway.TestMesh;
import io.sscmic.gateway.TestVertx;
import io.sscmic.gateway.handshake.LocalIdentity;
import io.sscmic.gateway.handshake.TestIdentities;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A node's copy of the authority's policy line: what it allows, what it revokes, what it keeps. */
class MeshPolicyViewTest {
  @RegisterExtension
  final TestVertx vertx = new TestVertx();
  @TempDir
  Path dir;

  private static JsonObject line(long version, List<String> lines, List<String> revoked) {
    return new JsonObject().put("type", "policy").put("version", version).put("lines", new JsonArray(lines))
        .put("revoked", new JsonArray(revoked));
  }

  @Test
  void beforeAnyLineEveryMemberIsAllowedAndAPolicyTheNodeCannotParseLeavesTheLastOneInForce() throws Exception {
    MeshPolicyView view = TestMesh.await(new MeshPolicyView(vertx.get(), "bravo", dir.resolve("p.json")).start());
    assertEquals(-1, view.version());
    assertTrue(view.check("anyone", "echo").allowed(), "no policy yet: as before the policy existed");

    view.accept(line(3, List.of("allow * *", "deny echo charlie"), List.of()));
    assertEquals(3, view.version());
    assertFalse(view.check("charlie", "echo").allowed());

    view.accept(line(4, List.of("allow echo @nobody"), List.of()));
    assertEquals(3, view.version(), "version 4 does not parse here: version 3 stays");
    assertFalse(view.check("charlie", "echo").allowed());
    assertTrue(view.check("alpha", "echo").allowed());
  }

  @Test
  void aRevokedNodeOrSerialFailsTheHandshakeCheckAndOnlyNewlyRevokedNodesAreCut() throws Exception {
    TestIdentities mesh = new TestIdentities("view");
    LocalIdentity charlie = mesh.node("charlie");
    LocalIdentity delta = mesh.node("delta");
    MeshPolicyView view = TestMesh.await(new MeshPolicyView(vertx.get(), "bravo", null).start());
    List<Set<String>> cut = new CopyOnWriteArrayList<>();
    view.onRevoked(cut::add);

    String deltaSerial = "serial:" + delta.certificate().getSerialNumber().toString(16);
    view.accept(line(0, List.of("allow * *"), List.of("charlie", deltaSerial)));
    assertTrue(view.isRevoked("charlie", charlie.certificate()));
    assertTrue(view.isRevoked("delta", delta.certificate()), "a revoked serial: that certificate");
    assertFalse(view.isRevoked("delta", mesh.node("delta").certificate()), "delta's other certificate is fine");
    assertFalse(view.check("charlie", "echo").allowed(), "a revoked caller opens no stream either");
    assertEquals(List.of(Set.of("charlie", deltaSerial)), cut);

    view.accept(line(1, List.of("allow * *"), List.of("charlie", deltaSerial)));
    assertEquals(1, cut.size(), "a new policy version cuts nobody already cut");
  }

  @Test
  void theLastLineIsCachedAndAppliedAtTheNextStart() throws Exception {
    Path cache = dir.resolve(MeshPolicyView.CACHE_FILE);
    MeshPolicyView view = TestMesh.await(new MeshPolicyView(vertx.get(), "bravo", cache).start());
    view.accept(line(7, List.of("allow echo alpha"), List.of("charlie")));
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!Files.exists(cache) || !Files.readString(cache).contains("\"version\":7")) {
      assertTrue(System.nanoTime() < deadline, "the cache to be written");
      Thread.sleep(20);
    }
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(cache)));

    MeshPolicyView restarted = TestMesh.await(new MeshPolicyView(vertx.get(), "bravo", cache).start());
    assertEquals(7, restarted.version());
    assertTrue(restarted.check("alpha", "echo").allowed());
    assertFalse(restarted.check("delta", "echo").allowed());
    assertTrue(restarted.isRevoked("charlie"));
  }
}
