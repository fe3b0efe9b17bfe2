package io.sscmic.authority.policy;

import io.sscmic.keysyn.StateFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The mesh's authorization policy as the authority keeps it ({@value #FILE} in its directory): the
 * lines of a stream policy (docs/OPERATIONS.md, "Stream policy": {@code group}, {@code allow},
 * {@code deny}) and a version that grows with every edit, across authority restarts. Without the
 * file the policy is {@link #DEFAULT}: every member reaches every service, as before there was a
 * policy. {@code sscmic policy ...} edits the file (file permissions are the authorization, as for
 * {@code sscmic reseed}); the running authority reads it within a second and sends it on the
 * registry watch. Immutable: an edit returns a new policy.
 */
public record MeshPolicy(long version, List<String> lines) {
  public static final String FILE = "policy.json";
  /** Every member reaches every service. */
  public static final MeshPolicy DEFAULT = new MeshPolicy(0, List.of("allow * *"));
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern WS = Pattern.compile("\\s+");

  public MeshPolicy {
    lines = List.copyOf(lines);
  }

  /** A policy edit that may be refused (a name that is not one, a line the nodes would not parse). */
  @FunctionalInterface
  public interface Edit {
    MeshPolicy apply(MeshPolicy current) throws InvalidPolicyException;
  }

  /** An edit refused: the message says why, for the operator. */
  public static final class InvalidPolicyException extends Exception {
    public InvalidPolicyException(String message) {
      super(message);
    }
  }

  /** Reads {@code file}, or {@link #DEFAULT} when there is none. Blocking. */
  public static MeshPolicy load(Path file) throws IOException {
    if (!Files.exists(file)) {
      return DEFAULT;
    }
    try {
      return fromJson(new JsonObject(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a policy file (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads, edits and writes {@code file} under an exclusive lock (two operators editing at once
   * both land); the edit's version is the old one plus one. Blocking.
   */
  public static MeshPolicy edit(Path file, Edit edit) throws IOException, InvalidPolicyException {
    Path lock = file.resolveSibling(file.getFileName() + ".lock");
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock held = ch.lock()) {
      MeshPolicy before = load(file);
      MeshPolicy after = edit.apply(before);
      MeshPolicy next = new MeshPolicy(before.version() + 1, after.lines());
      next.write(file);
      return next;
    }
  }

  /** What runs under the policy file's lock. */
  @FunctionalInterface
  public interface Locked<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code work} under the lock {@link #edit} takes, so that it cannot overwrite an edit made
   * meanwhile (authority replicas bringing their file in line with the shared policy). Blocking.
   */
  public static <T> T locked(Path file, Locked<T> work) throws IOException {
    Path lock = file.resolveSibling(file.getFileName() + ".lock");
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock held = ch.lock()) {
      return work.run();
    }
  }

  /** Writes this policy to {@code file} (the format {@link #load} reads). Blocking. */
  public void write(Path file) throws IOException {
    StateFiles.write(file, toJson().encodePrettily().getBytes(StandardCharsets.UTF_8), false);
  }

  public static MeshPolicy fromJson(JsonObject json) {
    List<String> lines = new ArrayList<>();
    for (Object o : json.getJsonArray("lines", new JsonArray())) {
      lines.add((String) o);
    }
    return new MeshPolicy(json.getLong("version", 0L), lines);
  }

  public JsonObject toJson() {
    return new JsonObject().put("version", version).put("lines", new JsonArray(lines));
  }

  /**
   * Lets {@code callers} (node ids, {@code @group}, or {@code *}) reach {@code service} (or
   * {@code *}): an {@code allow} line, and the callers leave the deny lines of that service. The
   * first allow line of a service makes it reachable only by the callers its lines list.
   */
  public MeshPolicy allow(String service, List<String> callers) throws InvalidPolicyException {
    check(service, callers);
    List<String> next = new ArrayList<>();
    for (String line : lines) {
      String[] w = WS.split(line.strip());
      if (w[0].equals("deny") && w[1].equals(service)) {
        List<String> rest = new ArrayList<>(List.of(w).subList(2, w.length));
        rest.removeAll(callers);
        if (!rest.isEmpty()) {
          next.add("deny " + service + " " + String.join(" ", rest));
        }
      } else {
        next.add(line);
      }
    }
    next.add("allow " + service + " " + String.join(" ", callers));
    return new MeshPolicy(version, next);
  }

  /** Shuts {@code callers} out of {@code service} (or {@code *}, every service): a deny line wins over every allow. */
  public MeshPolicy deny(String service, List<String> callers) throws InvalidPolicyException {
    check(service, callers);
    List<String> next = new ArrayList<>(lines);
    next.add("deny " + service + " " + String.join(" ", callers));
    return new MeshPolicy(version, next);
  }

  /** Defines (or redefines) group {@code name}; group lines come first, where every rule can use them. */
  public MeshPolicy group(String name, List<String> members) throws InvalidPolicyException {
    if (!NAME.matcher(name).matches() || members.isEmpty()) {
      throw new InvalidPolicyException("a group needs a name and at least one node id");
    }
    for (String m : members) {
      if (!NAME.matcher(m).matches()) {
        throw new InvalidPolicyException("not a node id: '" + m + "'");
      }
    }
    List<String> groups = new ArrayList<>();
    List<String> rules = new ArrayList<>();
    for (String line : lines) {
      String[] w = WS.split(line.strip());
      if (w[0].equals("group")) {
        if (!w[1].equals(name)) {
          groups.add(line);
        }
      } else {
        rules.add(line);
      }
    }
    groups.add("group " + name + " " + String.join(" ", members));
    groups.addAll(rules);
    return new MeshPolicy(version, groups);
  }

  /** Removes line {@code number} (1-based, as {@code sscmic policy list} numbers them). */
  public MeshPolicy remove(int number) throws InvalidPolicyException {
    if (number < 1 || number > lines.size()) {
      throw new InvalidPolicyException("no line " + number + " (the policy has " + lines.size() + ")");
    }
    List<String> next = new ArrayList<>(lines);
    next.remove(number - 1);
    return new MeshPolicy(version, next);
  }

  private static void check(String service, List<String> callers) throws InvalidPolicyException {
    if (!service.equals("*") && !NAME.matcher(service).matches()) {
      throw new InvalidPolicyException("not a service name: '" + service + "' (or * for every service)");
    }
    if (callers.isEmpty()) {
      throw new InvalidPolicyException("name at least one caller: a node id, @group, or *");
    }
    for (String c : callers) {
      String bare = c.startsWith("@") ? c.substring(1) : c;
      if (!c.equals("*") && !NAME.matcher(bare).matches()) {
        throw new InvalidPolicyException("not a caller: '" + c + "' (a node id, @group, or *)");
      }
    }
  }
}
