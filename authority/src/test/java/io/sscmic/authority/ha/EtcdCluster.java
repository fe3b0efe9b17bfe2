package io.sscmic.authority.ha;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd cluster of several members on loopback for tests (issue 17 item 5): each member its
 * own process, data directory, log and pair of free ports, all started together with one
 * {@code --initial-cluster}. A test asks which member leads ({@link #leader}, from each member's
 * own status), kills one with SIGKILL ({@link #kill}) and waits for the others to elect a leader
 * ({@link #awaitLeaderAmong}). Built from {@link EtcdServer}'s helpers; skipped without the binary
 * as it is.
 */
public final class EtcdCluster implements AutoCloseable {
  /** One member: its name, client URL and process. */
  public record Member(String name, String endpoint, Process process, Path log) {
    public boolean alive() {
      return process.isAlive();
    }
  }

  private final List<Member> members;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private EtcdCluster(List<Member> members) {
    this.members = List.copyOf(members);
  }

  /** Starts {@code size} members with their data under {@code dir}; waits until each serves (120 s). */
  public static EtcdCluster start(Path dir, int size) throws Exception {
    EtcdServer.assumeInstalled();
    Files.createDirectories(dir);
    AssertionError last = null;
    for (int attempt = 1; attempt <= EtcdServer.ATTEMPTS; attempt++) {
      List<Integer> ports = EtcdServer.freePorts(2 * size);
      List<String> names = new ArrayList<>();
      List<String> peers = new ArrayList<>();
      StringBuilder initial = new StringBuilder();
      for (int i = 0; i < size; i++) {
        names.add("m" + i);
        peers.add("http://127.0.0.1:" + ports.get(2 * i + 1));
        initial.append(i == 0 ? "" : ",").append(names.get(i)).append('=').append(peers.get(i));
      }
      List<Member> started = new ArrayList<>();
      String token = "cluster-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
      for (int i = 0; i < size; i++) {
        String endpoint = "http://127.0.0.1:" + ports.get(2 * i);
        Path log = dir.resolve(names.get(i) + "-" + attempt + ".log");
        Process p = EtcdServer.launch(names.get(i), dir.resolve(names.get(i) + "-data-" + attempt), endpoint,
            peers.get(i), initial.toString(), token, log);
        started.add(new Member(names.get(i), endpoint, p, log));
      }
      EtcdCluster cluster = new EtcdCluster(started);
      try {
        for (Member m : started) {
          EtcdServer.awaitServing(m.process(), m.endpoint(), m.log(), TimeUnit.SECONDS.toNanos(120));
        }
        return cluster;
      } catch (AssertionError e) {
        cluster.close();
        last = e;
        boolean clash = false;
        for (Member m : started) {
          clash |= EtcdServer.portTaken(m.log());
        }
        if (!clash) {
          throw e;
        }
      }
    }
    throw last != null ? last : new AssertionError("no free ports for the etcd cluster");
  }

  public List<Member> members() {
    return members;
  }

  /** Every member's client URL, as a replica's {@code etcd.endpoints} lists them. */
  public List<String> endpoints() {
    return members.stream().map(Member::endpoint).toList();
  }

  /**
   * The index of the member that leads now, as the live members themselves report it (their
   * status: own member id and the leader's id), or -1 when they do not agree on a live one.
   */
  public int leader() {
    List<String> ids = new ArrayList<>();
    String leader = null;
    for (Member m : members) {
      JsonObject s = m.alive() ? status(m) : null;
      ids.add(s == null ? null : s.getJsonObject("header").getString("member_id"));
      if (s != null) {
        String says = s.getString("leader");
        if (leader == null) {
          leader = says;
        } else if (!leader.equals(says)) {
          return -1;
        }
      }
    }
    return leader == null ? -1 : ids.indexOf(leader);
  }

  /** A member's status from etcd's JSON gateway, or null when it does not answer. */
  private JsonObject status(Member m) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(m.endpoint() + "/v3/maintenance/status"))
          .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Waits (at most {@code timeout}) until the live members agree on a live leader; its index. */
  public int awaitLeaderAmong(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int l = leader();
      if (l >= 0 && members.get(l).alive()) {
        return l;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no etcd leader among the live members within " + timeout);
      }
      Thread.sleep(20);
    }
  }

  /** SIGKILL to member {@code index}, as a crash or a power cut: no goodbye to its peers. */
  public void kill(int index) throws InterruptedException {
    Process p = members.get(index).process();
    p.destroyForcibly();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      throw new AssertionError("etcd member " + members.get(index).name() + " survived SIGKILL for 20 s");
    }
  }

  @Override
  public void close() throws Exception {
    for (Member m : members) {
      m.process().destroy();
    }
    for (Member m : members) {
      EtcdServer.stop(m.process());
    }
  }
}
