package io.sscmic.gateway.http.upstream;

import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;

/**
 * The private loopback door into the encrypted tunnel towards one peer sidecar (today an outbound
 * tunnel listener on an ephemeral port). An interface so that this package does not depend on
 * where the tunnel lives, and so that {@link UpstreamPeer} can be tested with any real server
 * standing in for the tunnel.
 */
public interface TunnelEntry {
  /** Starts accepting on {@code address}; completes with the bound port. */
  Future<Integer> listen(SocketAddress address);

  /** Stops accepting at once; open connections get up to {@code drain}. */
  Future<Void> close(Duration drain);
}
