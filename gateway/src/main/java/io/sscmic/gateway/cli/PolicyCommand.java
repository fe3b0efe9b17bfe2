package io.sscmic.gateway.cli;

import io.sscmic.authority.ca.Revocations;
import io.sscmic.authority.policy.MeshPolicy;
import io.sscmic.authority.store.AuthorityFiles;
import io.sscmic.gateway.mux.FileStreamPolicy;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sscmic policy allow|deny|group|remove|list|revoke --config DIR/authority.yaml ...}: edits
 * the mesh policy the authority keeps beside its config, and revokes nodes. Like
 * {@code sscmic reseed}, it works on the authority's directory (its permissions are the
 * authorization: whoever may read the CA key may change who calls what); the running authority
 * picks the change up within a second and sends it on the registry watch. Every edit is checked
 * by the parser the nodes use before it is written, so no node ever receives a policy it refuses.
 */
final class PolicyCommand {
  static final String HELP = String.join(System.lineSeparator(),
      "Usage: sscmic policy COMMAND --config DIR/authority.yaml ARGS",
      "",
      "The mesh's authorization policy, sent to every node on the registry watch (tunnel v2 nodes",
      "with an authority and no tunnel.policy-file apply it live; open streams are not cut).",
      "  list                          the policy's version and numbered lines",
      "  allow SERVICE CALLER...       CALLER: a node id, @group or *; SERVICE: a name or * (the",
      "                                first allow line of a service limits it to its callers)",
      "  deny SERVICE CALLER...        shut callers out of a service (or *): deny wins over allow",
      "  group NAME NODE...            define or redefine a group of node ids",
      "  remove LINE                   delete line LINE (as list numbers it)",
      "  revoke NODE                   revoke a node: its certificates stop working at the authority,",
      "                                and every node closes its v2 connections and refuses its",
      "                                handshakes within a second of hearing it (no re-seed needed)",
      "A new policy starts as 'allow * *': every member reaches every service.");

  private PolicyCommand() {
  }

  static int run(List<String> a, PrintStream out, PrintStream err) {
    Path config = Path.of(Main.required(a, "--config"));
    List<String> words = new ArrayList<>();
    for (int i = 1; i < a.size(); i++) {
      if (a.get(i).equals("--config")) {
        i++;
      } else if (!a.get(i).startsWith("--")) {
        words.add(a.get(i));
      }
    }
    if (words.isEmpty()) {
      err.println("sscmic: policy: expected list, allow, deny, group, remove or revoke (sscmic policy --help)");
      return 2;
    }
    AuthorityFiles files = new AuthorityFiles(config.toAbsolutePath().getParent());
    // ca.crt, not ca.key: an authority replica on etcd has no ca.key (it opens the CA key from etcd).
    if (!Files.exists(files.file(AuthorityFiles.CA_CERT))) {
      err.println("sscmic: policy: " + files.dir() + " holds no mesh (no " + AuthorityFiles.CA_CERT
          + "): --config names the authority's authority.yaml");
      return 2;
    }
    Path file = files.file(MeshPolicy.FILE);
    String verb = words.get(0);
    List<String> rest = words.subList(1, words.size());
    try {
      switch (verb) {
        case "list" -> {
          MeshPolicy p = MeshPolicy.load(file);
          out.println("policy version " + p.version() + (Files.exists(file) ? "" : " (the default: no "
              + MeshPolicy.FILE + " yet)"));
          for (int i = 0; i < p.lines().size(); i++) {
            out.println(String.format("%3d  %s", i + 1, p.lines().get(i)));
          }
          Revocations r = Revocations.load(files.file(AuthorityFiles.REVOKED));
          out.println("revoked: " + (r.all().isEmpty() ? "none" : String.join(" ", r.all())));
          return 0;
        }
        case "revoke" -> {
          if (rest.size() != 1) {
            err.println("sscmic: policy revoke: name one node id");
            return 2;
          }
          Revocations r = Revocations.load(files.file(AuthorityFiles.REVOKED));
          boolean fresh = r.revoke(rest.get(0));
          out.println((fresh ? "revoked node '" : "node '") + rest.get(0) + (fresh ? "'" : "' was already revoked")
              + ": the running authority drops it from the roster within a second; the nodes then close its v2"
              + " connections and refuse its handshakes. A new enrollment token re-admits it.");
          return 0;
        }
        case "allow", "deny", "group", "remove" -> {
          if (rest.size() < (verb.equals("remove") ? 1 : 2)) {
            err.println("sscmic: policy " + verb + ": missing arguments (sscmic policy --help)");
            return 2;
          }
          MeshPolicy next = MeshPolicy.edit(file, p -> {
            MeshPolicy edited = switch (verb) {
              case "allow" -> p.allow(rest.get(0), rest.subList(1, rest.size()));
              case "deny" -> p.deny(rest.get(0), rest.subList(1, rest.size()));
              case "group" -> p.group(rest.get(0), rest.subList(1, rest.size()));
              default -> p.remove(number(rest.get(0)));
            };
            try {
              FileStreamPolicy.parse(edited.lines(), MeshPolicy.FILE);
            } catch (FileStreamPolicy.PolicyFormatException e) {
              throw new MeshPolicy.InvalidPolicyException(e.getMessage());
            }
            return edited;
          });
          out.println("policy version " + next.version() + ": the running authority sends it to the nodes within a"
              + " second (sscmic policy list shows it)");
          return 0;
        }
        default -> {
          err.println("sscmic: policy: unknown command '" + verb + "' (list, allow, deny, group, remove, revoke)");
          return 2;
        }
      }
    } catch (MeshPolicy.InvalidPolicyException | IllegalArgumentException e) {
      err.println("sscmic: policy " + verb + ": " + e.getMessage() + "; nothing changed");
      return 2;
    } catch (Exception e) {
      err.println("sscmic: policy " + verb + ": " + e.getMessage());
      return 1;
    }
  }

  private static int number(String s) throws MeshPolicy.InvalidPolicyException {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new MeshPolicy.InvalidPolicyException("'" + s + "' is not a line number");
    }
  }
}
