package io.sscmic.keysyn.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sscmic.keysyn.RetryBackoff;
import io.sscmic.keysyn.recovery.AuthorityClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A node's entry in the authority's registry, kept alive: registers once the node serves, renews
 * every period the authority names, retries with back-off while the authority is away (the entry
 * then lapses after its TTL there, which is right: nobody can check it is alive), and removes the
 * entry when the node drains or stops. A node killed outright stops renewing and its entry
 * disappears within one TTL.
 */
public final class RegistryLease {
  private static final Logger LOG = Logger.getLogger(RegistryLease.class.getName());

  private final Vertx vertx;
  private final String nodeId;
  private final Supplier<AuthorityClient> client;
  private final List<String> services;
  private final String host;
  private final int port;
  private final Counter ok;
  private final Counter failed;
  private long timer = -1;
  private long backoff = RetryBackoff.FIRST_MILLIS;
  private boolean failing;
  private boolean stopped;
  private volatile LeaseTerms terms;

  /**
   * @param client the node's authority client (its certificate names the node)
   * @param host the endpoint host to advertise, or null for "the address my requests come from"
   */
  public RegistryLease(Vertx vertx, String nodeId, Supplier<AuthorityClient> client, List<String> services,
                       String host, int port, MeterRegistry registry) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.client = client;
    this.services = List.copyOf(services);
    this.host = host;
    this.port = port;
    String help = "This node's registrations and lease renewals at the authority's registry, by result";
    ok = Counter.builder("sscmic.registry.registrations").description(help).tag("node", nodeId)
        .tag("result", "ok").register(registry);
    failed = Counter.builder("sscmic.registry.registrations").description(help).tag("node", nodeId)
        .tag("result", "failed").register(registry);
  }

  /** Registers now and keeps the lease; the future is the first attempt's (the lease retries anyway). */
  public synchronized Future<LeaseTerms> start() {
    return attempt();
  }

  private synchronized Future<LeaseTerms> attempt() {
    timer = -1;
    if (stopped) {
      return Future.failedFuture(new IllegalStateException("lease stopped"));
    }
    AuthorityClient c = client.get();
    if (c == null) {
      retryLater("no authority client yet");
      return Future.failedFuture(new IllegalStateException("no authority client yet"));
    }
    return c.register(services, host, port).onComplete(ar -> {
      synchronized (this) {
        if (stopped) {
          return;
        }
        if (ar.succeeded()) {
          ok.increment();
          LeaseTerms t = ar.result();
          if (terms == null || failing) {
            LOG.info(() -> nodeId + ": registered " + services + " at " + (host == null ? "<my address>" : host)
                + ":" + port + " in the authority's registry (lease " + t.ttl().toMillis() + " ms, renewed every "
                + t.renew().toMillis() + " ms)");
          }
          terms = t;
          failing = false;
          backoff = RetryBackoff.FIRST_MILLIS;
          timer = vertx.setTimer(Math.max(50, t.renew().toMillis()), x -> attempt());
        } else {
          failed.increment();
          if (!failing) {
            failing = true;
            LOG.warning(() -> nodeId + ": cannot register in the authority's registry: " + ar.cause().getMessage()
                + "; retrying (callers that watch the registry stop seeing this node once its lease lapses)");
          }
          retryLater(ar.cause().getMessage());
        }
      }
    });
  }

  private void retryLater(String why) {
    long delay = RetryBackoff.jittered(backoff);
    backoff = RetryBackoff.next(backoff);
    timer = vertx.setTimer(delay, x -> attempt());
  }

  /** The terms of the last successful registration, or null. */
  public LeaseTerms terms() {
    return terms;
  }

  /** Stops renewing without removing the entry (a new registration of this node replaces it). */
  public synchronized void abandon() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * Stops renewing and removes the entry (a drain or a stop). The entry lapses after its TTL
   * anyway when the authority cannot be told.
   */
  public Future<Void> stop() {
    synchronized (this) {
      if (stopped) {
        return Future.succeededFuture();
      }
      stopped = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    AuthorityClient c = client.get();
    if (c == null || terms == null) {
      return Future.succeededFuture();
    }
    return c.deregister()
        .onSuccess(v -> LOG.info(() -> nodeId + ": removed from the authority's registry"))
        .recover(e -> {
          LOG.warning(() -> nodeId + ": cannot remove this node from the authority's registry (" + e.getMessage()
              + "); its entry lapses within " + terms.ttl().toMillis() + " ms");
          return Future.succeededFuture();
        });
  }
}
