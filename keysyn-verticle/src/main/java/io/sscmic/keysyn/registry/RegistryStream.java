package io.sscmic.keysyn.registry;

import io.vertx.core.Future;

/**
 * An open registry watch: events arrive on the handler given when it was opened; {@link #ended()}
 * completes when the stream stops for any reason (closed here, by the authority, the network, or
 * no event or ping within the idle bound).
 */
public interface RegistryStream {
  /** Completes (succeeded: a clean end; failed: why it broke) once the stream is over. */
  Future<Void> ended();

  /** Stops the stream; {@link #ended()} completes. */
  void close();
}
