package io.sscmic.authority.ha;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Follows an etcd key prefix for as long as it is open. jetcd resumes a watch by itself after a
 * connection error (it reports the error, then watches again from the last revision it saw), but
 * ends it for good on a halt error, such as a start revision that etcd compacted away (what a watch
 * resumed after a long outage meets). A moment after each error this looks whether jetcd gave the
 * watch up; if so it reads the whole prefix again ({@code onResync} gets every key there) and
 * watches from that read's revision. Deletions that happened while no watch ran are not seen: a
 * user of this holds entries that expire, or re-reads on its own, or only ever adds.
 */
final class PrefixWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(PrefixWatch.class.getName());
  /** How long after a watch error to look whether jetcd gave the watch up. */
  static final Duration RECHECK = Duration.ofSeconds(1);
  private final EtcdStore store;
  private final String prefix;
  private final String what;
  private final Consumer<WatchResponse> onEvents;
  private final Consumer<List<KeyValue>> onResync;
  private final AtomicInteger resyncs = new AtomicInteger();
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;

  /**
   * @param what names the watched state in log lines, e.g. "the registry"
   * @param onEvents each batch of changes, on a jetcd thread
   * @param onResync every key under the prefix after a read that replaced an ended watch
   */
  PrefixWatch(EtcdStore store, String prefix, String what, Consumer<WatchResponse> onEvents,
      Consumer<List<KeyValue>> onResync) {
    this.store = store;
    this.prefix = prefix;
    this.what = what;
    this.onEvents = onEvents;
    this.onResync = onResync;
  }

  /** Watches from {@code revision}, or from now when it is 0. */
  PrefixWatch start(long revision) {
    if (closed) {
      return this;
    }
    WatchOption.Builder option = WatchOption.builder().isPrefix(true);
    if (revision > 0) {
      option.withRevision(revision);
    }
    watcher = store.client().getWatchClient().watch(EtcdStore.bytes(prefix), option.build(),
        Watch.listener(onEvents, e -> {
          LOG.warning(() -> "authority: the etcd watch on " + what + " failed: " + e.getMessage()
              + " (followed again from where it stopped once etcd answers)");
          later(this::resyncIfEnded);
        }));
    return this;
  }

  private void resyncIfEnded() {
    Watch.Watcher w = watcher;
    if (closed || w == null || !w.isClosed()) {
      return;
    }
    LOG.warning(() -> "authority: the etcd watch on " + what + " ended; reading it again and watching from there");
    store.client().getKVClient().get(EtcdStore.bytes(prefix), GetOption.builder().isPrefix(true).build())
        .orTimeout(EtcdStore.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((got, e) -> {
          if (closed) {
            return;
          }
          if (e != null) {
            LOG.warning(() -> "authority: cannot read " + what + " from etcd: " + e.getMessage() + "; again in "
                + RECHECK.toMillis() + " ms");
            later(this::resyncIfEnded);
            return;
          }
          resyncs.incrementAndGet();
          onResync.accept(got.getKvs());
          start(got.getHeader().getRevision() + 1);
        });
  }

  private static void later(Runnable action) {
    CompletableFuture.delayedExecutor(RECHECK.toMillis(), TimeUnit.MILLISECONDS).execute(action);
  }

  /** How many times the prefix was read again after jetcd gave a watch up. */
  int resyncs() {
    return resyncs.get();
  }

  @Override
  public void close() {
    closed = true;
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
  }
}
