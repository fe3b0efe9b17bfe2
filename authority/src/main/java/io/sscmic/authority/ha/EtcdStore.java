package io.sscmic.authority.ha;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One authority replica's connection to the etcd cluster that the replicas share: the jetcd client
 * and this mesh's key prefix. Every shared piece of state (spent tokens, the serial counter,
 * revocations, the CA key's envelope, the leader key) lives under the prefix. Calls are blocking
 * with a bounded wait, made on workers, as the authority's file I/O is.
 */
public final class EtcdStore implements AutoCloseable {
  /** How long one etcd call may take before the step it serves fails (and is retried by its caller). */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);
  private final Client client;
  private final String prefix;
  private final List<String> endpoints;

  /** The client's keepalive: a ping after this long without traffic, and the wait for its answer (below). */
  static final Duration KEEPALIVE_TIME = Duration.ofSeconds(6);
  static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(3);

  /**
   * @param endpoints etcd client URLs, e.g. {@code http://10.0.0.5:2379}
   * @param prefix the key prefix of this mesh, e.g. {@code /sscmic/mesh-a/}
   */
  public EtcdStore(List<String> endpoints, String prefix) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoint");
    }
    this.endpoints = List.copyOf(endpoints);
    // A member cut off the network (not killed: its connections stay open) is found by a keepalive
    // ping going unanswered. jetcd's defaults (a ping after 30 s, 10 s for its answer) left every
    // replica sending part of its requests into the dead connection for about 40 s (netns-mesh.sh
    // --ha). 6 s then 3 s: just above etcd's own floor (--grpc-keepalive-min-time, 5 s), below
    // which etcd answers pings with GOAWAY too_many_pings.
    this.client = Client.builder().endpoints(endpoints.toArray(String[]::new))
        .keepaliveTime(KEEPALIVE_TIME).keepaliveTimeout(KEEPALIVE_TIMEOUT).keepaliveWithoutCalls(true).build();
    this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
  }

  public Client client() {
    return client;
  }

  public String prefix() {
    return prefix;
  }

  public List<String> endpoints() {
    return endpoints;
  }

  /** The key {@code <prefix><name>}. */
  public ByteSequence key(String name) {
    return bytes(prefix + name);
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /**
   * Fails unless etcd answers a read now: a replica checks at start that it reaches the shared
   * state, rather than failing its first enrollment.
   */
  public void check() throws IOException {
    await(client.getKVClient().get(key("ca/serial")));
  }

  /** Waits for an etcd call at most {@link #TIMEOUT}; its failure as an IOException naming etcd. */
  public static <T> T await(CompletableFuture<T> f) throws IOException {
    try {
      return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for etcd", e);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException("etcd did not answer within " + TIMEOUT.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw new IOException("etcd: " + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
