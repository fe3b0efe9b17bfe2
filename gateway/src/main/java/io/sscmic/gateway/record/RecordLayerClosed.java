package io.sscmic.gateway.record;

import io.sscmic.gateway.handshake.AlertReason;

/**
 * User event fired up the pipeline when the record layer ends the connection for a reason: this
 * side refused something ({@link Origin#LOCAL}; an ALERT went to the peer where one could), or the
 * peer sent an authenticated ALERT ({@link Origin#PEER}) or an unauthenticated one during the
 * handshake ({@link Origin#PEER_UNAUTHENTICATED}: anyone on the path could have forged it). A
 * normal close by the peer arrives as reason {@code closing}. Count by reason and origin.
 */
public record RecordLayerClosed(AlertReason reason, Origin origin, String detail, boolean duringHandshake,
                                String peerNodeId) {
  public enum Origin {
    LOCAL,
    PEER,
    PEER_UNAUTHENTICATED
  }
}
