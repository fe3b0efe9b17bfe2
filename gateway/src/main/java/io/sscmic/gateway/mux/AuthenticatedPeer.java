package io.sscmic.gateway.mux;

/**
 * The user event the secure layer fires up the pipeline once the peer is authenticated (the v2
 * handshake's "handshake completed"), naming the peer's node id as its certificate proves it.
 *
 * <p>The multiplexer installs itself only on this event, and the server side takes the caller
 * identity of every stream from it (kept in {@link MuxAttributes#PEER_NODE_ID}), never from a
 * header. The handshake's completion event implements this interface, or a one-line handler
 * translates it.
 */
public interface AuthenticatedPeer {
  /** The peer's node id, as authenticated by the layer below. Never null or blank. */
  String peerNodeId();

  /** A plain carrier for layers (and tests) that have no event type of their own. */
  static AuthenticatedPeer of(String nodeId) {
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("peer node id required");
    }
    return new Named(nodeId);
  }

  /** The record behind {@link #of(String)}. */
  record Named(String peerNodeId) implements AuthenticatedPeer {
  }
}
